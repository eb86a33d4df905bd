// The bind values PostgreSQL logs after a `$n` statement: `DETAIL: parameters: $1 = '42', $2 = NULL`, each value
// quoted as a literal (quotes doubled), NULL bare, and cut short with `...` past `log_parameter_max_length`.

public enum BindParameters {
  /// One logged value: NULL, a value as logged, or a value cut short by `log_parameter_max_length`.
  public enum Value: Sendable, Hashable {
    case null
    case text(String)
    case truncated
  }

  /// The values of a logged detail (with or without its `parameters: ` head) by parameter number; nil when it is
  /// not that shape.
  public static func parse(_ logged: String) -> [Int: Value]? {
    var bytes = Array(logged.utf8)[...]
    let head = Array("parameters: ".utf8)
    if bytes.starts(with: head) { bytes = bytes.dropFirst(head.count) }
    func skip(_ text: String) -> Bool {
      let expected = text.utf8
      guard bytes.starts(with: expected) else { return false }
      bytes = bytes.dropFirst(expected.count)
      return true
    }
    var values: [Int: Value] = [:]
    while !bytes.isEmpty {
      guard skip("$") else { return nil }
      var number = 0
      var digits = 0
      while let byte = bytes.first, byte &- 0x30 < 10, digits < 6 {
        number = number * 10 + Int(byte &- 0x30)
        digits += 1
        bytes = bytes.dropFirst()
      }
      guard digits > 0, number >= 1, values[number] == nil, skip(" = ") else { return nil }
      if skip("NULL") {
        values[number] = .null
      } else {
        guard skip("'") else { return nil }
        var value: [UInt8] = []
        while true {
          guard let byte = bytes.first else { return nil }
          bytes = bytes.dropFirst()
          if byte == UInt8(ascii: "'") {
            guard bytes.first == UInt8(ascii: "'") else { break }
            bytes = bytes.dropFirst()
          }
          value.append(byte)
        }
        let text = String(decoding: value, as: UTF8.self)
        values[number] = text.hasSuffix("...") ? .truncated : .text(text)
      }
      if !bytes.isEmpty { guard skip(", ") else { return nil } }
    }
    return values
  }
}
