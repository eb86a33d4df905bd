// Text from a log shown on a terminal: a control character in a statement or a message (an escape sequence that
// clears the screen or sets the window title, a bell, a carriage return that overwrites the line) is shown as a
// visible escape, `\x1B`, never sent raw. Line breaks and tabs are the report's own and stay.

public enum TerminalText {
  /// `text` with every control character but newline and tab written as `\xHH` (C0, DEL) or `\u{HH}` (C1).
  public static func escaped(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var out = String.UnicodeScalarView()
    out.reserveCapacity(text.unicodeScalars.count + 16)
    for scalar in text.unicodeScalars {
      guard needsEscape(scalar) else {
        out.append(scalar)
        continue
      }
      let digits = String(scalar.value, radix: 16, uppercase: true)
      let visible = scalar.value < 0x80 ? "\\x" + (digits.count < 2 ? "0" : "") + digits : "\\u{\(digits)}"
      out.append(contentsOf: visible.unicodeScalars)
    }
    return String(out)
  }

  static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    let value = scalar.value
    return (value < 0x20 && value != 0x0A && value != 0x09) || (0x7F...0x9F).contains(value)
  }
}
