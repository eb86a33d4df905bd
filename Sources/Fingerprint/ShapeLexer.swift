// A byte lexer that reduces a statement to its shape: the cache key in front of libpg_query.
//
// Two statements with the same shape must always get the same fingerprint (see FINGERPRINTS.md), so the shape
// drops only what the fingerprint ignores: constants of every kind, the length of IN, VALUES and ARRAY lists of
// constants, the case of unquoted words, whitespace, comments and a trailing `;`. It keeps everything else,
// and in statements other than queries and DML it keeps constants too, since there they can be names.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

public struct ShapeLexer: ~Copyable {
  /// The shape of the last statement lexed: tokens separated by single spaces.
  public var shape: [UInt8] { withShape { Array($0) } }

  /// Lends the shape's bytes, without copying them.
  public func withShape<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    body(UnsafeBufferPointer(start: bytes, count: count))
  }

  /// The shape's bytes, written in place: a token is appended as a copy into room made ahead, where an array
  /// checked that its buffer was not shared and called out to append a collection for every token (callgrind).
  private var bytes: UnsafeMutablePointer<UInt8>
  private var count = 0
  private var capacity: Int
  /// Its constants: how many, and where the first ones start with a hash of each.
  public private(set) var constants = LiteralDigest()

  /// Kinds of tokens the shape cares about.
  enum TokenKind: Equatable {
    case word, quotedIdentifier, constant, operatorRun, punctuation
  }

  /// An open `(` or `[` and what the lexer is watching inside it.
  struct Group {
    enum Kind { case inList, arrayList, valuesRow, other }
    var kind: Kind
    /// Where the group's contents start in `shape` (after the opening token).
    var contentStart: Int
    var onlyConstants = true
    /// Tokens in the current element (between commas) at this group's own depth.
    var elementTokens = 0
    var elementIsConstant = false
    var elements = 0
    /// The word before the opening bracket (lower-cased), for the few functions whose integer argument is kept.
    var keepsNumbers = false
  }

  private var groups: [Group] = []
  private var foldConstants = true
  private var firstWordSeen = false
  /// The text being lexed, and where its last word lies in it.
  private var text = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
  private var lastWord = 0..<0
  private var previousKind: TokenKind?
  private var previousWasInKeyword = false
  private var previousWasArrayKeyword = false
  // VALUES row tracking.
  private var valuesDepth: Int?
  private var valuesExpectRow = false
  private var valuesPreviousRow: Range<Int>?
  private var valuesCommaAt: Int?
  private var valuesRowStart = 0
  /// Position in `shape` before the last `;` written, to drop it if nothing follows.
  private var trailingSemicolonAt: Int?

  public init() {
    capacity = 4096
    bytes = .allocate(capacity: capacity)
  }

  deinit { bytes.deallocate() }

  /// Room for `extra` more bytes.
  @inline(__always)
  private mutating func reserve(_ extra: Int) {
    guard count + extra > capacity else { return }
    let grown = max(count + extra, 2 * capacity)
    let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
    moved.initialize(from: bytes, count: count)
    bytes.deallocate()
    bytes = moved
    capacity = grown
  }

  @inline(__always)
  private mutating func append(_ byte: UInt8) {
    reserve(1)
    bytes[count] = byte
    count += 1
  }

  /// Whether two stretches of the shape hold the same bytes.
  private func same(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
    a.count == b.count && memcmp(bytes + a.lowerBound, bytes + b.lowerBound, a.count) == 0
  }

  /// Whether the last word is `literal` (given in lower case), ignoring case.
  @inline(__always)
  private func lastWordIs(_ literal: StaticString) -> Bool {
    let n = literal.utf8CodeUnitCount
    guard lastWord.count == n else { return false }
    let l = literal.utf8Start
    for k in 0..<n where Self.lower(text[lastWord.lowerBound + k]) != l[k] { return false }
    return true
  }

  /// Statements whose constants are all plain `A_Const`s in the parse tree, so folding them is safe.
  private func lastWordStartsFoldingStatement() -> Bool {
    lastWordIs("select") || lastWordIs("insert") || lastWordIs("update") || lastWordIs("delete")
      || lastWordIs("with") || lastWordIs("values") || lastWordIs("table") || lastWordIs("merge")
  }

  /// Functions whose integer argument is a type modifier kept in the parse tree, not an `A_Const`.
  private func lastWordKeepsNumbers() -> Bool {
    lastWordIs("float") || lastWordIs("current_time") || lastWordIs("current_timestamp")
      || lastWordIs("localtime") || lastWordIs("localtimestamp")
  }

  /// Folds constants in every statement, not only queries and DML. Too coarse for the cache key, but right for
  /// grouping statements libpg_query cannot parse, where there is no parse tree to be faithful to.
  private var foldEverything = false

  /// Computes the shape of `text` into `shape`; `foldingAllConstants` folds constants whatever the statement.
  public mutating func lex(_ text: UnsafeBufferPointer<UInt8>, foldingAllConstants: Bool = false) {
    foldEverything = foldingAllConstants
    count = 0
    constants = LiteralDigest()
    groups.removeAll(keepingCapacity: true)
    foldConstants = true
    firstWordSeen = false
    previousKind = nil
    previousWasInKeyword = false
    previousWasArrayKeyword = false
    valuesDepth = nil
    valuesExpectRow = false
    valuesPreviousRow = nil
    valuesCommaAt = nil
    trailingSemicolonAt = nil
    lastWord = 0..<0
    self.text = text
    defer { self.text = UnsafeBufferPointer(start: nil, count: 0) }

    let n = text.count
    var i = 0
    while i < n {
      let b = text[i]
      // Whitespace.
      if b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D || b == 0x0C {
        i += 1
        continue
      }
      // Comments.
      if b == UInt8(ascii: "-") && i + 1 < n && text[i + 1] == UInt8(ascii: "-") {
        while i < n && text[i] != 0x0A { i += 1 }
        continue
      }
      if b == UInt8(ascii: "/") && i + 1 < n && text[i + 1] == UInt8(ascii: "*") {
        i = Self.skipBlockComment(text, from: i)
        continue
      }
      // String constants, with their prefixes: E'..', B'..', X'..', N'..', U&'..'.
      if b == UInt8(ascii: "'") {
        let end = Self.skipQuoted(text, from: i, quote: UInt8(ascii: "'"), backslashEscapes: false)
        emitConstant(text, i, end)
        i = end
        continue
      }
      let lower = b | 0x20
      if i + 1 < n && text[i + 1] == UInt8(ascii: "'")
        && (lower == UInt8(ascii: "e") || lower == UInt8(ascii: "b") || lower == UInt8(ascii: "x")
          || lower == UInt8(ascii: "n"))
        && (i == 0 || !Self.isIdentifierByte(text[i - 1]))
      {
        let end = Self.skipQuoted(
          text, from: i + 1, quote: UInt8(ascii: "'"), backslashEscapes: lower == UInt8(ascii: "e"))
        emitConstant(text, i, end)
        i = end
        continue
      }
      if lower == UInt8(ascii: "u") && i + 2 < n && text[i + 1] == UInt8(ascii: "&")
        && (i == 0 || !Self.isIdentifierByte(text[i - 1]))
      {
        if text[i + 2] == UInt8(ascii: "'") {
          let end = Self.skipQuoted(text, from: i + 2, quote: UInt8(ascii: "'"), backslashEscapes: false)
          emitConstant(text, i, end)
          i = end
          continue
        }
        if text[i + 2] == UInt8(ascii: "\"") {
          let end = Self.skipQuoted(text, from: i + 2, quote: UInt8(ascii: "\""), backslashEscapes: false)
          emit(text, i, end, kind: .quotedIdentifier)
          i = end
          continue
        }
      }
      // Quoted identifiers keep their case and text.
      if b == UInt8(ascii: "\"") {
        let end = Self.skipQuoted(text, from: i, quote: UInt8(ascii: "\""), backslashEscapes: false)
        emit(text, i, end, kind: .quotedIdentifier)
        i = end
        continue
      }
      // Parameters ($1) and dollar-quoted strings ($$..$$, $tag$..$tag$).
      if b == UInt8(ascii: "$") {
        if i + 1 < n && text[i + 1] &- 0x30 < 10 {
          var end = i + 1
          while end < n && text[end] &- 0x30 < 10 { end += 1 }
          emitConstant(text, i, end)
          i = end
          continue
        }
        if let end = Self.skipDollarQuoted(text, from: i) {
          emitConstant(text, i, end)
          i = end
          continue
        }
      }
      // Numbers.
      if b &- 0x30 < 10 || (b == UInt8(ascii: ".") && i + 1 < n && text[i + 1] &- 0x30 < 10) {
        let end = Self.skipNumber(text, from: i)
        emitConstant(text, i, end, isNumber: true)
        i = end
        continue
      }
      // Words: keywords and unquoted identifiers, lower-cased.
      if Self.isIdentifierStart(b) {
        var end = i + 1
        while end < n && Self.isIdentifierByte(text[end]) { end += 1 }
        emit(text, i, end, kind: .word)
        i = end
        continue
      }
      // Operators: maximal runs of operator characters, stopping before a comment.
      if Self.isOperatorByte(b) {
        var end = i + 1
        while end < n && Self.isOperatorByte(text[end]) {
          if text[end] == UInt8(ascii: "-") && end + 1 < n && text[end + 1] == UInt8(ascii: "-") { break }
          if text[end] == UInt8(ascii: "/") && end + 1 < n && text[end + 1] == UInt8(ascii: "*") { break }
          end += 1
        }
        emit(text, i, end, kind: .operatorRun)
        i = end
        continue
      }
      // `::` and `:=` stay together; everything else is a one-byte token.
      if b == UInt8(ascii: ":") && i + 1 < n && (text[i + 1] == UInt8(ascii: ":") || text[i + 1] == UInt8(ascii: "=")) {
        emit(text, i, i + 2, kind: .punctuation)
        i += 2
        continue
      }
      emit(text, i, i + 1, kind: .punctuation)
      i += 1
    }
    if let at = trailingSemicolonAt { count = at }
  }

  // MARK: - Emitting tokens

  private mutating func emitConstant(
    _ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, isNumber: Bool = false
  ) {
    if constants.count < LiteralDigest.kept {
      constants.starts[constants.count] = Int32(truncatingIfNeeded: start)
      constants.hashes[constants.count] = Fingerprinter.fnv1a(UnsafeBufferPointer(rebasing: text[start..<end]))
    }
    constants.count += 1
    if foldConstants && !(isNumber && (groups.last?.keepsNumbers ?? false)) {
      emitPlaceholder()
    } else {
      emit(text, start, end, kind: .constant, verbatim: true)
    }
  }

  /// A keyword or unquoted identifier: what `emit` does for one, without its tests for brackets, commas and
  /// semicolons (a word is most tokens; callgrind).
  private mutating func emitWord(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, verbatim: Bool) {
    lastWord = start..<end
    if !firstWordSeen {
      firstWordSeen = true
      foldConstants = foldEverything || lastWordStartsFoldingStatement()
    }
    noteToken(isConstant: false)
    trailingSemicolonAt = nil
    let isValues = lastWordIs("values")
    if isValues {
      valuesDepth = groups.count
      valuesExpectRow = true
      valuesPreviousRow = nil
      valuesCommaAt = nil
    } else if valuesDepth == groups.count && !valuesExpectRow && valuesCommaAt == nil {
      // Something other than another row follows the VALUES rows.
      valuesDepth = nil
    }
    appendToken(text, start, end, kind: .word, verbatim: verbatim)
    setPrevious(kind: .word, word: true)
  }

  private mutating func emit(
    _ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, kind: TokenKind, verbatim: Bool = false
  ) {
    if kind == .word { return emitWord(text, start, end, verbatim: verbatim) }
    let single = end - start == 1 ? text[start] : 0
    // Structure: brackets, commas and semicolons drive list folding.
    if kind == .punctuation && (single == UInt8(ascii: "(") || single == UInt8(ascii: "[")) {
      noteToken(isConstant: false)
      let kindOfGroup: Group.Kind
      if single == UInt8(ascii: "(") && previousWasInKeyword {
        kindOfGroup = .inList
      } else if single == UInt8(ascii: "[") && previousWasArrayKeyword {
        kindOfGroup = .arrayList
      } else if single == UInt8(ascii: "(") && valuesExpectRow && valuesDepth == groups.count {
        kindOfGroup = .valuesRow
        valuesExpectRow = false
        valuesRowStart = count
      } else {
        kindOfGroup = .other
      }
      let keeps = previousKind == .word && lastWordKeepsNumbers()
      appendToken(text, start, end, kind: kind)
      groups.append(Group(kind: kindOfGroup, contentStart: count, keepsNumbers: keeps))
      setPrevious(kind: kind, word: false)
      return
    }
    if kind == .punctuation && (single == UInt8(ascii: ")") || single == UInt8(ascii: "]")),
      var group = groups.popLast()
    {
      finishElement(&group)
      if (group.kind == .inList || group.kind == .arrayList) && group.onlyConstants && group.elements > 0
        && foldConstants
      {
        count = group.contentStart
        append(0x20)
        append(UInt8(ascii: "?"))
      }
      appendToken(text, start, end, kind: kind)
      if group.kind == .valuesRow {
        let row = valuesRowStart..<count
        if let previous = valuesPreviousRow, let commaAt = valuesCommaAt, same(previous, row) {
          count = commaAt
        } else {
          valuesPreviousRow = row
        }
        valuesCommaAt = nil
      }
      setPrevious(kind: kind, word: false)
      return
    }
    if kind == .punctuation && single == UInt8(ascii: ","), var group = groups.last {
      finishElement(&group)
      groups[groups.count - 1] = group
      if valuesDepth == groups.count {
        valuesCommaAt = count
        valuesExpectRow = true
      }
      appendToken(text, start, end, kind: kind)
      setPrevious(kind: kind, word: false)
      return
    }
    if kind == .punctuation && single == UInt8(ascii: ","), groups.isEmpty, valuesDepth == 0 {
      valuesCommaAt = count
      valuesExpectRow = true
      appendToken(text, start, end, kind: kind)
      setPrevious(kind: kind, word: false)
      return
    }
    noteToken(isConstant: kind == .constant && !verbatim)
    if kind == .punctuation && single == UInt8(ascii: ";") && groups.isEmpty {
      trailingSemicolonAt = count
      appendToken(text, start, end, kind: kind)
      // A new statement follows: it decides its own folding.
      firstWordSeen = false
      valuesDepth = nil
      setPrevious(kind: kind, word: false)
      return
    }
    trailingSemicolonAt = nil
    // Something other than another row follows the VALUES rows.
    if valuesDepth == groups.count && !valuesExpectRow && valuesCommaAt == nil { valuesDepth = nil }
    appendToken(text, start, end, kind: kind, verbatim: verbatim)
    setPrevious(kind: kind, word: false)
  }

  /// A folded constant: `?`.
  private mutating func emitPlaceholder() {
    noteToken(isConstant: true)
    trailingSemicolonAt = nil
    if valuesDepth == groups.count && !valuesExpectRow && valuesCommaAt == nil { valuesDepth = nil }
    if count > 0 { append(0x20) }
    append(UInt8(ascii: "?"))
    setPrevious(kind: .constant, word: false)
  }

  private mutating func setPrevious(kind: TokenKind, word: Bool) {
    previousKind = kind
    previousWasInKeyword = word && lastWordIs("in")
    previousWasArrayKeyword = word && lastWordIs("array")
  }

  /// Records a token inside the innermost group's current element.
  private mutating func noteToken(isConstant: Bool) {
    guard !groups.isEmpty else { return }
    groups[groups.count - 1].elementTokens += 1
    groups[groups.count - 1].elementIsConstant = isConstant
  }

  private func finishElement(_ group: inout Group) {
    if group.elementTokens > 0 {
      group.elements += 1
      if group.elementTokens != 1 || !group.elementIsConstant { group.onlyConstants = false }
    } else {
      group.onlyConstants = false
    }
    group.elementTokens = 0
    group.elementIsConstant = false
  }

  private mutating func appendToken(
    _ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, kind: TokenKind, verbatim: Bool = false
  ) {
    reserve(end - start + 1)
    if count > 0 {
      bytes[count] = 0x20
      count += 1
    }
    let out = bytes + count
    if kind == .word && !verbatim {
      // Eight bytes at a time while they are ASCII: each upper-case letter gets its 0x20 bit. (Per byte, the
      // lower-casing was a fifth of the time spent emitting tokens.)
      let from = text.baseAddress! + start
      let length = end - start
      let high: UInt64 = 0x8080_8080_8080_8080
      var k = 0
      while k + 8 <= length {
        let word = UnsafeRawPointer(from + k).loadUnaligned(as: UInt64.self)
        guard word & high == 0 else { break }
        // 0x80 in each byte of `A`-`Z`: at or above `A`, and not at or above the byte after `Z`.
        let upper = (word &+ 0x3F3F_3F3F_3F3F_3F3F) & ~(word &+ 0x2525_2525_2525_2525) & high
        UnsafeMutableRawPointer(out + k).storeBytes(of: word | (upper >> 2), as: UInt64.self)
        k += 8
      }
      while k < length {
        out[k] = Self.lower(from[k])
        k += 1
      }
    } else {
      out.update(from: text.baseAddress! + start, count: end - start)
    }
    count += end - start
  }
}
