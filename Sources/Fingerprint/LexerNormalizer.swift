// Normalized text for statements libpg_query cannot parse: constants become `$1`, `$2` ... and the rest of
// the text stays as written, as pg_query_normalize would do.

public enum LexerNormalizer {
  public static func normalize(_ sql: String) -> String {
    let bytes = Array(sql.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var parameter = 0
    bytes.withUnsafeBufferPointer { text in
      let n = text.count
      var i = 0
      func replace(_ end: Int) {
        parameter += 1
        out.append(contentsOf: Array("$\(parameter)".utf8))
        i = end
      }
      while i < n {
        let b = text[i]
        if b == UInt8(ascii: "-") && i + 1 < n && text[i + 1] == UInt8(ascii: "-") {
          while i < n && text[i] != 0x0A { out.append(text[i]); i += 1 }
          continue
        }
        if b == UInt8(ascii: "/") && i + 1 < n && text[i + 1] == UInt8(ascii: "*") {
          let end = ShapeLexer.skipBlockComment(text, from: i)
          out.append(contentsOf: UnsafeBufferPointer(rebasing: text[i..<end]))
          i = end
          continue
        }
        if b == UInt8(ascii: "'") {
          replace(ShapeLexer.skipQuoted(text, from: i, quote: b, backslashEscapes: false))
          continue
        }
        if b == UInt8(ascii: "\"") {
          let end = ShapeLexer.skipQuoted(text, from: i, quote: b, backslashEscapes: false)
          out.append(contentsOf: UnsafeBufferPointer(rebasing: text[i..<end]))
          i = end
          continue
        }
        if b == UInt8(ascii: "$"), let end = ShapeLexer.skipDollarQuoted(text, from: i) {
          replace(end)
          continue
        }
        let previousIsWord = i > 0 && ShapeLexer.isIdentifierByte(text[i - 1])
        if !previousIsWord && b &- 0x30 < 10 {
          replace(ShapeLexer.skipNumber(text, from: i))
          continue
        }
        if !previousIsWord && i + 1 < n && text[i + 1] == UInt8(ascii: "'")
          && [UInt8(ascii: "e"), UInt8(ascii: "b"), UInt8(ascii: "x"), UInt8(ascii: "n")].contains(b | 0x20)
        {
          replace(
            ShapeLexer.skipQuoted(
              text, from: i + 1, quote: UInt8(ascii: "'"), backslashEscapes: (b | 0x20) == UInt8(ascii: "e")))
          continue
        }
        if ShapeLexer.isIdentifierStart(b) {
          var end = i + 1
          while end < n && ShapeLexer.isIdentifierByte(text[end]) { end += 1 }
          out.append(contentsOf: UnsafeBufferPointer(rebasing: text[i..<end]))
          i = end
          continue
        }
        out.append(b)
        i += 1
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}
