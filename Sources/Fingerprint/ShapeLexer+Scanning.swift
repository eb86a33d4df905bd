// Byte-level scanning helpers of the shape lexer, shared with the lexer normalizer.

extension ShapeLexer {
  // MARK: - Scanning helpers

  @inline(__always) static func lower(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }

  // Byte classes as bit masks, one bit per byte of 0x00-0x3F and of 0x40-0x7F (bytes from 0x80 on, of UTF-8
  // letters, are identifier bytes): a shift and a test, where a chain of comparisons branched on every byte of
  // every word (perf annotate).
  /// `A`-`Z`, `_`, `a`-`z`.
  static let lettersHigh: UInt64 = 0x07FF_FFFE_87FF_FFFE
  /// `$`, `0`-`9`.
  static let identifierLow: UInt64 = 0x03FF_0010_0000_0000

  @inline(__always) static func isIdentifierStart(_ b: UInt8) -> Bool {
    b >= 0x80 || (b >= 0x40 && (lettersHigh >> UInt64(b & 63)) & 1 != 0)
  }

  @inline(__always) static func isIdentifierByte(_ b: UInt8) -> Bool {
    b >= 0x80 || ((b < 0x40 ? identifierLow : lettersHigh) >> UInt64(b & 63)) & 1 != 0
  }

  @inline(__always) static func isOperatorByte(_ b: UInt8) -> Bool {
    switch b {
    case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: "/"), UInt8(ascii: "<"),
      UInt8(ascii: ">"), UInt8(ascii: "="), UInt8(ascii: "~"), UInt8(ascii: "!"), UInt8(ascii: "@"),
      UInt8(ascii: "#"), UInt8(ascii: "%"), UInt8(ascii: "^"), UInt8(ascii: "&"), UInt8(ascii: "|"),
      UInt8(ascii: "`"), UInt8(ascii: "?"):
      return true
    default:
      return false
    }
  }

  /// Skips a quoted token starting at the quote at `from`; doubled quotes (and backslashes in E'') escape.
  static func skipQuoted(_ text: UnsafeBufferPointer<UInt8>, from: Int, quote: UInt8, backslashEscapes: Bool) -> Int {
    var i = from
    while i < text.count && text[i] != quote { i += 1 }  // to the opening quote (after a prefix)
    i += 1
    while i < text.count {
      let b = text[i]
      if backslashEscapes && b == UInt8(ascii: "\\") {
        i += 2
        continue
      }
      if b == quote {
        if i + 1 < text.count && text[i + 1] == quote {
          i += 2
          continue
        }
        return i + 1
      }
      i += 1
    }
    return text.count
  }

  /// Skips `$tag$ ... $tag$` starting at `from`; nil if this `$` does not open a dollar quote.
  static func skipDollarQuoted(_ text: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
    var tagEnd = from + 1
    while tagEnd < text.count && text[tagEnd] != UInt8(ascii: "$") {
      let b = text[tagEnd]
      guard isIdentifierStart(b) || (tagEnd > from + 1 && b &- 0x30 < 10) else { return nil }
      tagEnd += 1
    }
    guard tagEnd < text.count else { return nil }
    let tag = UnsafeBufferPointer(rebasing: text[from...tagEnd])
    var i = tagEnd + 1
    while i + tag.count <= text.count {
      if text[i] == UInt8(ascii: "$") && UnsafeBufferPointer(rebasing: text[i..<(i + tag.count)]).elementsEqual(tag) {
        return i + tag.count
      }
      i += 1
    }
    return text.count
  }

  static func skipBlockComment(_ text: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
    var depth = 0
    var i = from
    while i < text.count {
      if text[i] == UInt8(ascii: "/") && i + 1 < text.count && text[i + 1] == UInt8(ascii: "*") {
        depth += 1
        i += 2
      } else if text[i] == UInt8(ascii: "*") && i + 1 < text.count && text[i + 1] == UInt8(ascii: "/") {
        depth -= 1
        i += 2
        if depth == 0 { return i }
      } else {
        i += 1
      }
    }
    return text.count
  }

  static func skipNumber(_ text: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
    var i = from
    while i < text.count && text[i] &- 0x30 < 10 { i += 1 }
    if i < text.count && text[i] == UInt8(ascii: ".") && !(i + 1 < text.count && text[i + 1] == UInt8(ascii: ".")) {
      i += 1
      while i < text.count && text[i] &- 0x30 < 10 { i += 1 }
    }
    if i < text.count && (text[i] | 0x20) == UInt8(ascii: "e") {
      var j = i + 1
      if j < text.count && (text[j] == UInt8(ascii: "+") || text[j] == UInt8(ascii: "-")) { j += 1 }
      if j < text.count && text[j] &- 0x30 < 10 {
        while j < text.count && text[j] &- 0x30 < 10 { j += 1 }
        i = j
      }
    }
    return i
  }
}
