// The width of a SELECT: how many columns its top-level select list names, whether it reads `*`, and the
// first table after its FROM. Read from the normalized text of a query.

public struct SelectList: Sendable, Equatable {
  public var columns: Int
  public var star: Bool
  public var table: String?

  /// Nil when the text is not a SELECT.
  public static func of(_ sql: String) -> SelectList? {
    var sql = sql
    return sql.withUTF8 { text -> SelectList? in
      var scanner = StatementTraits.Scanner(text: text)
      scanner.skipSpaceAndComments()
      while scanner.peek == UInt8(ascii: "(") {
        scanner.advance()
        scanner.skipSpaceAndComments()
      }
      guard scanner.word(is: "select") else { return nil }
      scanner.skipSpaceAndComments()
      let afterSelect = scanner.i
      if scanner.word(is: "distinct") == false { scanner.i = afterSelect }
      var columns = 1
      var star = false
      var depth = 0
      var expectingItem = true
      while scanner.i < text.count {
        if scanner.skipQuoted() {
          expectingItem = false
          continue
        }
        let b = text[scanner.i]
        if b == UInt8(ascii: "(") {
          depth += 1
          scanner.advance()
        } else if b == UInt8(ascii: ")") {
          depth -= 1
          scanner.advance()
          if depth < 0 { break }
        } else if depth == 0 && b == UInt8(ascii: ",") {
          columns += 1
          expectingItem = true
          scanner.advance()
        } else if depth == 0 && b == UInt8(ascii: "*") {
          // `*` or `t.*` as an item, not a multiplication.
          if expectingItem || (scanner.i > 0 && text[scanner.i - 1] == UInt8(ascii: ".")) { star = true }
          scanner.advance()
        } else if depth == 0 && StatementTraits.Scanner.isWordByte(b) {
          let start = scanner.i
          if scanner.word(is: "from") {
            scanner.skipSpaceAndComments()
            return SelectList(columns: columns, star: star, table: scanner.name())
          }
          scanner.i = start
          scanner.skipWord()
          expectingItem = false
        } else {
          if b != 0x20 && b != 0x0A && b != 0x09 && b != UInt8(ascii: ".") { expectingItem = false }
          scanner.advance()
        }
      }
      return SelectList(columns: columns, star: star, table: nil)
    }
  }
}

extension StatementTraits.Scanner {
  /// A table name here (`"orders"`, `public.orders`), its quotes taken off, or nil.
  mutating func name() -> String? {
    var parts: [String] = []
    while i < text.count {
      if text[i] == UInt8(ascii: "\"") {
        let start = i + 1
        _ = skipQuoted()
        parts.append(String(decoding: text[start..<max(start, i - 1)], as: UTF8.self))
      } else if Self.isWordByte(text[i]) {
        let start = i
        skipWord()
        parts.append(String(decoding: text[start..<i], as: UTF8.self))
      } else {
        break
      }
      guard i < text.count, text[i] == UInt8(ascii: ".") else { break }
      i += 1
    }
    return parts.last
  }
}
