// JSON strings read from bytes: jsonlog records, cloud exports and libpg_query's parse trees all unescape them
// the same way.

/// Where and why a JSON text is not well formed: `column` counts bytes from 1.
public struct JSONSyntaxError: Error, Sendable {
  public var reason: String
  public var column: Int

  public init(reason: String, column: Int) {
    self.reason = reason
    self.column = column
  }
}

extension UnsafeBufferPointer where Element == UInt8 {
  /// Reads the JSON string whose opening quote is at `i`, appending its unescaped UTF-8 to `out`, and moves `i`
  /// past its closing quote; returns how many bytes it appended. A high surrogate without its low one reads as
  /// U+FFFD.
  public func readJSONString(at i: inout Int, into out: inout [UInt8]) throws(JSONSyntaxError) -> Int {
    guard i < count, self[i] == UInt8(ascii: "\"") else { throw JSONSyntaxError(reason: "expected \"", column: i + 1) }
    i += 1
    let before = out.count
    while true {
      // Copy the run up to the next quote or backslash in one go.
      var runEnd = i
      while runEnd < count, self[runEnd] != UInt8(ascii: "\""), self[runEnd] != UInt8(ascii: "\\") { runEnd += 1 }
      out.append(contentsOf: UnsafeBufferPointer(rebasing: self[i..<runEnd]))
      i = runEnd
      guard i < count else { throw JSONSyntaxError(reason: "string not closed", column: i + 1) }
      if self[i] == UInt8(ascii: "\"") {
        i += 1
        return out.count - before
      }
      i += 1
      guard i < count else { throw JSONSyntaxError(reason: "string not closed", column: i + 1) }
      let escape = self[i]
      i += 1
      switch escape {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "u"):
        var scalar = try readHex4(at: &i)
        if (0xD800..<0xDC00).contains(scalar), matches("\\u", at: i) {
          i += 2
          let low = try readHex4(at: &i)
          if (0xDC00..<0xE000).contains(low) {
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          }
        }
        let value = Unicode.Scalar(scalar) ?? "\u{FFFD}"
        out.append(contentsOf: Array(String(Character(value)).utf8))
      default:
        throw JSONSyntaxError(reason: "bad escape", column: i)
      }
    }
  }

  private func readHex4(at i: inout Int) throws(JSONSyntaxError) -> UInt32 {
    guard i + 4 <= count else { throw JSONSyntaxError(reason: "short \\u escape", column: i + 1) }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let b = self[i]
      let digit: UInt32
      switch b {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - 0x30)
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - 0x61 + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - 0x41 + 10)
      default: throw JSONSyntaxError(reason: "bad \\u escape", column: i + 1)
      }
      value = value << 4 | digit
      i += 1
    }
    return value
  }
}
