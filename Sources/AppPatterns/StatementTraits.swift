// What the application-pattern advisor needs to know of one statement as it goes by: its kind, whether an
// INSERT writes one row, and the OFFSET it skips. A byte scan that reads little of most statements.
#if canImport(Glibc)
  import Glibc
#endif

public enum StatementKind: UInt8, Sendable, Codable {
  case select, insert, update, delete, other
}

public struct StatementTraits: Sendable, Equatable, Codable {
  public var kind: StatementKind
  /// An INSERT with one row of VALUES (what a loop of `Model.objects.create()` or `save()` sends).
  public var singleRow: Bool
  /// A literal `OFFSET n` in a SELECT.
  public var offset: Int?

  public init(kind: StatementKind, singleRow: Bool = false, offset: Int? = nil) {
    self.kind = kind
    self.singleRow = singleRow
    self.offset = offset
  }

  public static func of(_ text: UnsafeBufferPointer<UInt8>) -> StatementTraits {
    var scanner = Scanner(text: text)
    scanner.skipSpaceAndComments()
    // `(SELECT …)`, or a WITH whose main statement decides: a WITH is read as the statement it ends with only
    // when that is plain to see; otherwise it is `other`.
    while scanner.peek == UInt8(ascii: "(") {
      scanner.advance()
      scanner.skipSpaceAndComments()
    }
    let start = scanner.i
    if scanner.word(is: "select") {
      // Most SELECTs have no OFFSET: look for the word's bytes before scanning the statement.
      guard contains(text, "ffset") || contains(text, "FFSET") else { return StatementTraits(kind: .select) }
      return StatementTraits(kind: .select, offset: scanner.offset())
    }
    scanner.i = start
    if scanner.word(is: "insert") {
      // Start at the first VALUES: what comes before it (the table, its columns) cannot hold a row.
      guard let values = find("VALUES", in: text, from: scanner.i) ?? find("values", in: text, from: scanner.i)
      else { return StatementTraits(kind: .insert) }
      scanner.i = values
      return StatementTraits(kind: .insert, singleRow: scanner.singleValuesRow())
    }
    scanner.i = start
    if scanner.word(is: "update") { return StatementTraits(kind: .update) }
    scanner.i = start
    if scanner.word(is: "delete") { return StatementTraits(kind: .delete) }
    return StatementTraits(kind: .other)
  }

  /// Whether `text` holds `literal`.
  static func contains(_ text: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
    find(literal, in: text, from: 0) != nil
  }

  /// Where `literal` first occurs in `text` at or after `from`: memchr for its first byte, memcmp for the rest.
  static func find(_ literal: StaticString, in text: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
    guard let base = text.baseAddress else { return nil }
    let length = literal.utf8CodeUnitCount
    let first = Int32(literal.utf8Start[0])
    var offset = from
    while offset + length <= text.count {
      guard let found = memchr(base + offset, first, text.count - offset - length + 1) else { return nil }
      let at = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
      if memcmp(base + at, literal.utf8Start, length) == 0 { return at }
      offset = at + 1
    }
    return nil
  }

  /// A forward scan over SQL text that knows quotes, comments and parentheses.
  struct Scanner {
    let text: UnsafeBufferPointer<UInt8>
    var i = 0

    var peek: UInt8? { i < text.count ? text[i] : nil }
    mutating func advance() { i += 1 }

    mutating func skipSpaceAndComments() {
      while i < text.count {
        let b = text[i]
        if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D {
          i += 1
        } else if b == UInt8(ascii: "-"), i + 1 < text.count, text[i + 1] == UInt8(ascii: "-") {
          while i < text.count && text[i] != 0x0A { i += 1 }
        } else if b == UInt8(ascii: "/"), i + 1 < text.count, text[i + 1] == UInt8(ascii: "*") {
          var depth = 0
          while i + 1 < text.count {
            if text[i] == UInt8(ascii: "/") && text[i + 1] == UInt8(ascii: "*") {
              depth += 1
              i += 2
            } else if text[i] == UInt8(ascii: "*") && text[i + 1] == UInt8(ascii: "/") {
              depth -= 1
              i += 2
              if depth == 0 { break }
            } else {
              i += 1
            }
          }
          if depth > 0 { i = text.count }
        } else {
          return
        }
      }
    }

    static func isWordByte(_ b: UInt8) -> Bool {
      b &- 0x41 < 26 || b &- 0x61 < 26 || b &- 0x30 < 10 || b == UInt8(ascii: "_")
    }

    /// Reads the word starting here (letters, digits, `_`) and tells whether it is `lower`, ignoring ASCII case.
    mutating func word(is lower: StaticString) -> Bool {
      let start = i
      while i < text.count, Self.isWordByte(text[i]) { i += 1 }
      guard i - start == lower.utf8CodeUnitCount else { return false }
      let expected = lower.utf8Start
      for k in 0..<(i - start) where text[start + k] | 0x20 != expected[k] { return false }
      return true
    }

    /// Passes over the word starting here.
    mutating func skipWord() {
      while i < text.count, Self.isWordByte(text[i]) { i += 1 }
    }

    /// Skips a quoted string, identifier or dollar-quoted body starting at `i`; false when none starts here.
    mutating func skipQuoted() -> Bool {
      guard let b = peek else { return false }
      if b == UInt8(ascii: "'") || b == UInt8(ascii: "\"") {
        i += 1
        while i < text.count {
          if text[i] == b {
            if i + 1 < text.count && text[i + 1] == b {
              i += 2
              continue
            }
            i += 1
            return true
          }
          if b == UInt8(ascii: "'") && text[i] == UInt8(ascii: "\\") { i += 1 }
          i += 1
        }
        return true
      }
      if b == UInt8(ascii: "$") {
        // `$tag$ … $tag$` (a `$1` parameter is no quote).
        var end = i + 1
        while end < text.count, Self.isWordByte(text[end]), !(text[end] &- 0x30 < 10 && end == i + 1) { end += 1 }
        guard end < text.count, text[end] == UInt8(ascii: "$") else { return false }
        let tag = Array(text[i...end])
        var j = end + 1
        while j + tag.count <= text.count {
          if text[j] == UInt8(ascii: "$") && Array(text[j..<(j + tag.count)]) == tag {
            i = j + tag.count
            return true
          }
          j += 1
        }
        i = text.count
        return true
      }
      return false
    }

    /// After `INSERT`: whether the VALUES list has exactly one row at the top level. The scan stops at the
    /// end of the second row's opening, or at ON CONFLICT / RETURNING.
    mutating func singleValuesRow() -> Bool {
      var depth = 0
      var rows = 0
      var inValues = false
      while i < text.count && rows < 2 {
        if skipQuoted() { continue }
        let b = text[i]
        if b == UInt8(ascii: "(") {
          if depth == 0 && inValues { rows += 1 }
          depth += 1
          i += 1
        } else if b == UInt8(ascii: ")") {
          depth -= 1
          i += 1
        } else if depth == 0 && Self.isWordByte(b) {
          let start = i
          if word(is: "values") {
            inValues = true
            continue
          }
          i = start
          if inValues
            && (word(is: "on")
              || {
                i = start; return word(is: "returning")
              }())
          {
            break
          }
          i = start
          if !inValues && word(is: "select") { return false }
          i = start
          skipWord()
        } else {
          i += 1
        }
      }
      return rows == 1
    }

    /// After `SELECT`: the number after the last top-level `OFFSET`, when it is a literal.
    mutating func offset() -> Int? {
      var depth = 0
      var found: Int?
      while i < text.count {
        if skipQuoted() { continue }
        let b = text[i]
        if b == UInt8(ascii: "(") {
          depth += 1
          i += 1
        } else if b == UInt8(ascii: ")") {
          depth -= 1
          i += 1
        } else if Self.isWordByte(b) {
          if word(is: "offset") && depth == 0 {
            skipSpaceAndComments()
            let start = i
            var value = 0
            while i < text.count, text[i] &- 0x30 < 10, i - start < 12 {
              value = value * 10 + Int(text[i] &- 0x30)
              i += 1
            }
            if i > start { found = value }
          }
        } else {
          i += 1
        }
      }
      return found
    }
  }
}
