// The shape many sampled prefixes share: literal tokens that every line prints, and slots where lines differ.
// Built by aligning each line's tokens to the template so far (an edit distance in which a slot takes any run
// of tokens) and widening the template where a line does not fit: literals a line lacks, and tokens it has
// that the template does not, become a slot. Lines that stop early, at one place, are background processes
// cut off by `%q`.
import IntegerTables
import LogInput

struct PrefixTemplate: Equatable {
  enum Element: Equatable {
    case punct(UInt8)
    case word([UInt8])
    /// Where a field prints: a timestamp, an epoch, or text of any kind.
    case time(millis: Bool)
    case epoch
    case slot
    /// A slot whose values are phrases PostgreSQL prints with spaces in them (`client backend`,
    /// `idle in transaction`): it takes spaces for nothing.
    case phrase

    var isLiteral: Bool {
      switch self {
      case .punct, .word: true
      case .time, .epoch, .slot, .phrase: false
      }
    }

    var isSlot: Bool { self == .slot || self == .phrase }
  }

  var elements: [Element]

  /// How one line fits the template.
  struct Alignment {
    var cost: Int
    /// Whether every literal the template has up to where the line stops is in the line, and nothing else.
    var fits: Bool { cost < PrefixTemplate.mismatchCost }
    /// The tokens each element covers (one for a matched literal or time, any number for a slot); nil where
    /// the line lacks the element.
    var covers: [Range<Int>?]
    /// Tokens the line has before each element (the last entry: after the last one) that no element covers.
    var insertions: [Int]
    /// Where the line stops, when it stops before the template's end.
    var cut: Int?
  }

  /// What a literal the line lacks, or a token it has that no element takes, costs. Anything cheaper is a fit.
  static let mismatchCost = 10
  /// What a slot pays for each punctuation token it takes: values may hold spaces or dots, but the alignment
  /// that leaves punctuation to the literals is the better one.
  static let absorbedPunctuationCost = 1
  /// What a missing time costs: a line without the timestamp every other line has is another kind of line.
  static let missingTimeCost = 1000

  /// Aligns one line's tokens; `allowCut` lets it stop early at no cost for what it leaves out.
  func align(_ tokens: [PrefixToken], in line: ByteView, allowCut: Bool) -> Alignment {
    let m = elements.count
    let n = tokens.count
    let infinity = Int.max / 4
    // cost[i, j]: the cheapest way for elements[..<i] to take tokens[..<j]; from[i, j] how it got there.
    var cost = Table(rows: m + 1, columns: n + 1, value: infinity)
    var from = Table(rows: m + 1, columns: n + 1, value: Move.none)
    cost[0, 0] = 0
    let mismatch = Self.mismatchCost
    for j in 0..<n where cost[0, j] + mismatch < cost[0, j + 1] {
      cost[0, j + 1] = cost[0, j] + mismatch
      from[0, j + 1] = .insert
    }
    for i in 0..<m {
      let element = elements[i]
      for j in 0...n where cost[i, j] < infinity {
        let here = cost[i, j]
        switch element {
        case .punct, .word:
          if j < n, Self.literal(element, equals: tokens[j], in: line), here < cost[i + 1, j + 1] {
            cost[i + 1, j + 1] = here
            from[i + 1, j + 1] = .match
          }
          if here + mismatch < cost[i + 1, j] {
            cost[i + 1, j] = here + mismatch
            from[i + 1, j] = .skip
          }
        case .time(let millis):
          if j < n, tokens[j].kind == .time(millis: millis), here < cost[i + 1, j + 1] {
            cost[i + 1, j + 1] = here
            from[i + 1, j + 1] = .match
          }
          if here + Self.missingTimeCost < cost[i + 1, j] {
            cost[i + 1, j] = here + Self.missingTimeCost
            from[i + 1, j] = .skip
          }
        case .epoch:
          if j < n, tokens[j].kind == .epoch, here < cost[i + 1, j + 1] {
            cost[i + 1, j + 1] = here
            from[i + 1, j + 1] = .match
          }
          if here + Self.missingTimeCost < cost[i + 1, j] {
            cost[i + 1, j] = here + Self.missingTimeCost
            from[i + 1, j] = .skip
          }
        case .slot, .phrase:
          break
        }
      }
      if element.isSlot {
        // A slot does not take the punctuation that ends it, as the matcher would not: `[%p]` takes no `]`.
        var follower: UInt8?
        if i + 1 < m, case .punct(let b) = elements[i + 1], b != UInt8(ascii: " ") { follower = b }
        let freeSpaces = element == .phrase
        // A slot takes tokens[j..<k] for any j <= k, but never a timestamp: the cheapest start so far, latest
        // first among equals, so that a slot takes as little as it can.
        var best = infinity
        var bestStart = 0
        for k in 0...n {
          if k > 0 {
            switch tokens[k - 1].kind {
            case .time, .epoch: best = infinity
            case .punct(let b) where b == follower: best = min(infinity, best + mismatch)
            case .punct(let b) where b == UInt8(ascii: " ") && freeSpaces: break
            case .punct: best = min(infinity, best + Self.absorbedPunctuationCost)
            case .word: break
            }
          }
          if cost[i, k] <= best {
            best = cost[i, k]
            bestStart = k
          }
          if best < cost[i + 1, k] {
            cost[i + 1, k] = best
            from[i + 1, k] = .slot(from: bestStart)
          }
        }
      }
      for j in 0..<n where cost[i + 1, j] + mismatch < cost[i + 1, j + 1] {
        cost[i + 1, j + 1] = cost[i + 1, j] + mismatch
        from[i + 1, j + 1] = .insert
      }
    }
    var end = m
    // A line that fits the whole template is no cut line, however cheaply a part of it might fit too.
    if allowCut, cost[m, n] >= Self.mismatchCost {
      // Stopping before element i leaves elements[i...] out; it must leave a literal out to be a cut at all.
      // The longest part of the template the line fits is where it stops: a shorter part could always fit by
      // letting a slot take what follows.
      // Where no part fits, the cheapest part is where it stops, if that is cheaper than the whole.
      var cheapest = m
      for i in stride(from: m - 1, through: 1, by: -1) where elements[i...].contains(where: \.isLiteral) {
        if cost[i, n] < Self.mismatchCost {
          end = i
          break
        }
        if cost[i, n] < cost[cheapest, n] { cheapest = i }
      }
      if end == m { end = cheapest }
      // A slot that takes nothing right before the cut is on the side that was cut off.
      while end < m, end > 1, elements[end - 1].isSlot, cost[end - 1, n] <= cost[end, n] { end -= 1 }
    }
    var alignment = Alignment(
      cost: cost[end, n], covers: [Range<Int>?](repeating: nil, count: m),
      insertions: [Int](repeating: 0, count: m + 1),
      cut: end < m ? end : nil)
    var i = end
    var j = n
    while i > 0 || j > 0 {
      switch from[i, j] {
      case .match:
        alignment.covers[i - 1] = (j - 1)..<j
        i -= 1
        j -= 1
      case .skip:
        i -= 1
      case .slot(let start):
        alignment.covers[i - 1] = start..<j
        i -= 1
        j = start
      case .insert:
        alignment.insertions[i] += 1
        j -= 1
      case .none:
        // Unreachable for a finite cost; stop rather than loop.
        return alignment
      }
    }
    return alignment
  }

  private enum Move: Equatable {
    case none, match, skip, insert
    case slot(from: Int)
  }

  /// A rectangle of values in one allocation, read and written as `table[i, j]`.
  private struct Table<Value> {
    private var values: [Value]
    private let columns: Int

    init(rows: Int, columns: Int, value: Value) {
      values = [Value](repeating: value, count: rows * columns)
      self.columns = columns
    }

    subscript(row: Int, column: Int) -> Value {
      get { values[row * columns + column] }
      set { values[row * columns + column] = newValue }
    }
  }

  /// What an alignment of a line depends on: its tokens' kinds, and for each word which literal word of the
  /// template it equals, if any. Lines alike in this align alike, whatever their timestamps and numbers.
  func alignmentKey(_ tokens: [PrefixToken], in line: ByteView, words literalWords: [[UInt8]]) -> IntegerList<UInt32> {
    IntegerList(
      tokens.map { token in
        switch token.kind {
        case .time(let millis): return millis ? 0x1_0001 : 0x1_0002
        case .epoch: return 0x1_0003
        case .punct(let b): return UInt32(b)
        case .word:
          let length = token.end - token.start
          // Compared in place by `matches`: `elementsEqual` went byte by byte through iterators.
          for (index, literal) in literalWords.enumerated() where literal.count == length {
            if line.matches(literal, at: token.start) { return 0x2_0000 + UInt32(index) }
          }
          return 0x1_0000
        }
      })
  }

  /// Aligns lines to one template, once per kind of line (see `alignmentKey`).
  struct Aligner {
    let template: PrefixTemplate
    private let words: [[UInt8]]
    private var known: [IntegerList<UInt32>: [Bool: Alignment]] = [:]

    init(_ template: PrefixTemplate) {
      self.template = template
      words = template.literalWords
    }

    mutating func align(_ tokens: [PrefixToken], in line: ByteView, allowCut: Bool) -> Alignment {
      let key = template.alignmentKey(tokens, in: line, words: words)
      if let found = known[key]?[allowCut] { return found }
      let alignment = template.align(tokens, in: line, allowCut: allowCut)
      known[key, default: [:]][allowCut] = alignment
      return alignment
    }
  }

  /// The literal words of the template.
  var literalWords: [[UInt8]] {
    elements.compactMap { element in
      if case .word(let bytes) = element { return bytes }
      return nil
    }
  }

  static func isTime(_ kind: PrefixTokenKind) -> Bool {
    switch kind {
    case .time, .epoch: true
    case .word, .punct: false
    }
  }

  static func literal(_ element: Element, equals token: PrefixToken, in line: ByteView) -> Bool {
    switch (element, token.kind) {
    case (.punct(let a), .punct(let b)): return a == b
    case (.word(let bytes), .word):
      return bytes.count == token.end - token.start && line.matches(bytes, at: token.start)
    default: return false
    }
  }

  /// The template one line's tokens make: its literals, timestamps as times, and every word as a literal but
  /// the values PostgreSQL prints for a field and never as text of a prefix (`[unknown]`, `[local]`, addresses).
  init(tokens: [PrefixToken], in line: ByteView) {
    elements = tokens.map { token in
      switch token.kind {
      case .time(let millis): return .time(millis: millis)
      case .epoch: return .epoch
      case .punct(let b): return .punct(b)
      case .word:
        let word = Array(line.slice(token.start, token.end))
        let shape = ValueShape(word)
        return shape.isHost || word == Array("[unknown]".utf8) ? .slot : .word(word)
      }
    }
  }

  init(elements: [Element]) { self.elements = elements }

  /// The template widened so that `alignment`'s line fits: every literal the line lacks, and every run of
  /// tokens it has that no element covers, becomes part of a slot, merged with the slots beside it.
  func widened(for alignment: Alignment) -> PrefixTemplate {
    var result: [Element] = []
    var pendingSlot = false
    for (index, element) in elements.enumerated() {
      // What a line that stops early leaves out stays as it was; its extra tokens, if any, came before.
      if let cut = alignment.cut, index >= cut {
        if index == cut && (pendingSlot || alignment.insertions[index] > 0) && !element.isSlot { result.append(.slot) }
        pendingSlot = false
        result.append(element)
        continue
      }
      if alignment.insertions[index] > 0 { pendingSlot = true }
      let dissolved: Bool
      switch element {
      case .punct, .word: dissolved = alignment.covers[index] == nil
      case .slot, .phrase: dissolved = true
      case .time, .epoch: dissolved = false
      }
      if dissolved {
        pendingSlot = true
        continue
      }
      if pendingSlot {
        result.append(.slot)
        pendingSlot = false
      }
      result.append(element)
    }
    if alignment.cut == nil && (alignment.insertions[elements.count] > 0 || pendingSlot) { result.append(.slot) }
    return PrefixTemplate(elements: result)
  }

  /// Words that differ between lines become slots: `lines` are each sampled line with its tokens, all of the
  /// same signature as the template was made from.
  func generalizingWords(_ lines: [(bytes: [UInt8], tokens: [PrefixToken])]) -> PrefixTemplate {
    var result = elements
    for (index, element) in elements.enumerated() {
      guard case .word(let bytes) = element else { continue }
      for line in lines where index < line.tokens.count {
        let token = line.tokens[index]
        let same = line.bytes.withUnsafeBufferPointer {
          bytes.count == token.end - token.start && $0.matches(bytes, at: token.start)
        }
        if !same {
          result[index] = .slot
          break
        }
      }
    }
    return PrefixTemplate(elements: result)
  }

  /// Runs of words with single spaces between that are, on most lines of the group, a phrase PostgreSQL
  /// prints for one field (`client backend`, `idle in transaction`) become one slot that takes spaces freely.
  /// `lines` are of the signature the template was made from, so that elements and tokens line up.
  func collapsingPhrases(_ lines: [(bytes: [UInt8], tokens: [PrefixToken])]) -> PrefixTemplate {
    var result: [Element] = []
    var index = 0
    let space = Element.punct(UInt8(ascii: " "))
    func isValue(_ element: Element) -> Bool {
      if case .word = element { return true }
      return element == .slot
    }
    while index < elements.count {
      var found = 0
      if isValue(elements[index]) {
        // The longest run first: up to four words.
        var length = 7
        while length >= 3 {
          let end = index + length
          if end <= elements.count,
            stride(from: index, to: end, by: 2).allSatisfy({ isValue(elements[$0]) }),
            stride(from: index + 1, to: end, by: 2).allSatisfy({ elements[$0] == space })
          {
            let phrases = lines.filter { line in
              guard end <= line.tokens.count else { return false }
              let text = Array(line.bytes[line.tokens[index].start..<line.tokens[end - 1].end])
              let shape = ValueShape(text)
              return shape.isBackendType || shape.isCommandTag
            }.count
            if phrases * 5 >= lines.count * 4 {
              found = length
              break
            }
          }
          length -= 2
        }
      }
      if found > 0 {
        result.append(.phrase)
        index += found
      } else {
        result.append(elements[index])
        index += 1
      }
    }
    return PrefixTemplate(elements: result)
  }

  /// How many literals the template has.
  var literalCount: Int { elements.filter(\.isLiteral).count }
}
