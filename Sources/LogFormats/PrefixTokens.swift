// The prefix of one sampled stderr line (the text before its severity marker), cut into tokens for inference:
// timestamps, value-like words, and single punctuation bytes. Words are what fields print; punctuation is what
// a `log_line_prefix` usually holds between them.
import LogInput

/// What kind of piece of a prefix a token is.
enum PrefixTokenKind: Equatable, Hashable {
  /// `YYYY-MM-DD HH:MM:SS[.fff][ ZONE]`: %t, %m or %s.
  case time(millis: Bool)
  /// Seconds since the epoch with milliseconds: %n.
  case epoch
  /// A run of letters, digits, `_`, `$` or non-ASCII bytes, joined by `.`, `-` (and `/` between digits); the values
  /// PostgreSQL prints in brackets (`[local]`, `[unknown]`), IPv6 addresses, and `host(port)`.
  case word
  /// Any other byte, on its own.
  case punct(UInt8)
}

/// One token: its kind and where it lies in the prefix.
struct PrefixToken: Equatable, Sendable {
  var kind: PrefixTokenKind
  var start: Int
  var end: Int
}

enum PrefixLexer {
  /// As many tokens as most prefixes have: the shop log's lines grew the array six times each (to 1, 2, 4, 8, 16
  /// and 32, callgrind), more than 16 and at most 32.
  static let usualTokens = 32

  /// Bytes a word is made of.
  @inline(__always)
  static func isValueByte(_ b: UInt8) -> Bool {
    b &- 0x41 < 26 || b &- 0x61 < 26 || b &- 0x30 < 10 || b == UInt8(ascii: "_") || b == UInt8(ascii: "$")
      || b >= 0x80
  }

  /// Whether the byte at `i` joins the value bytes on either side into one word: `.` and `-` do
  /// (`6568a1b2.3f2c`, `my-app`, `12-1`, `10.0.0.5`); `/` only between digits (`3/45`), since `%d/%a` is a prefix
  /// people write.
  @inline(__always)
  static func joins(_ prefix: ByteView, at i: Int) -> Bool {
    guard i > 0, i + 1 < prefix.count, isValueByte(prefix[i + 1]) else { return false }
    switch prefix[i] {
    case UInt8(ascii: "."), UInt8(ascii: "-"): return true
    case UInt8(ascii: "/"): return prefix[i - 1] &- 0x30 < 10 && prefix[i + 1] &- 0x30 < 10
    default: return false
    }
  }

  static func tokens(_ prefix: ByteView) -> [PrefixToken] {
    var tokens: [PrefixToken] = []
    // Room for the tokens of most prefixes at once: grown from empty, the array was made anew six times a
    // line, a third of the sample's tokenizing (callgrind).
    tokens.reserveCapacity(Self.usualTokens)
    var i = 0
    let n = prefix.count
    while i < n {
      let b = prefix[i]
      if b &- 0x30 < 10 {
        if let parsed = LogTimestamp.parse(prefix, at: i) {
          let millis = prefix.slice(i, parsed.end).firstIndex(of: UInt8(ascii: "."), from: 0) != nil
          tokens.append(PrefixToken(kind: .time(millis: millis), start: i, end: parsed.end))
          i = parsed.end
          continue
        }
        if let end = epochEnd(prefix, at: i) {
          tokens.append(PrefixToken(kind: .epoch, start: i, end: end))
          i = end
          continue
        }
      }
      if b == UInt8(ascii: "[") {
        if prefix.matches("[local]", at: i) {
          i = hostPortEnd(prefix, after: i + 7, into: &tokens, start: i)
          continue
        }
        if prefix.matches("[unknown]", at: i) {
          tokens.append(PrefixToken(kind: .word, start: i, end: i + 9))
          i += 9
          continue
        }
      }
      if let end = ipv6End(prefix, at: i) {
        i = hostPortEnd(prefix, after: end, into: &tokens, start: i)
        continue
      }
      if isValueByte(b) {
        var j = i + 1
        while j < n, isValueByte(prefix[j]) || joins(prefix, at: j) {
          j += 1
        }
        i = hostPortEnd(prefix, after: j, into: &tokens, start: i)
        continue
      }
      tokens.append(PrefixToken(kind: .punct(b), start: i, end: i + 1))
      i += 1
    }
    return tokens
  }

  /// Ends a word at `after`, taking a `(port)` that follows it along (`%r` prints `host(port)`).
  private static func hostPortEnd(
    _ prefix: ByteView, after end: Int, into tokens: inout [PrefixToken], start: Int
  )
    -> Int
  {
    var wordEnd = end
    if end < prefix.count, prefix[end] == UInt8(ascii: "("), let (port, digitsEnd) = prefix.parseDigits(at: end + 1),
      digitsEnd < prefix.count, prefix[digitsEnd] == UInt8(ascii: ")"), port <= 65535, digitsEnd - end <= 6
    {
      wordEnd = digitsEnd + 1
    }
    tokens.append(PrefixToken(kind: .word, start: start, end: wordEnd))
    return wordEnd
  }

  /// `%n`: ten digits or more, a dot and three digits.
  static func epochEnd(_ prefix: ByteView, at i: Int) -> Int? {
    guard let (_, end) = prefix.parseDigits(at: i), end - i >= 9, end < prefix.count, prefix[end] == UInt8(ascii: "."),
      let (_, fractionEnd) = prefix.parseDigits(at: end + 1),
      fractionEnd - end == 4
    else { return nil }
    if fractionEnd < prefix.count, isValueByte(prefix[fractionEnd]) { return nil }
    return fractionEnd
  }

  /// An IPv6 address (`::1`, `fe80::1`, `2001:db8::5`): hex digits and at least two colons, one pair of them
  /// adjacent or seven in all. In a run of three colons the first is a separator (`%t:%r:`), a token of its own.
  static func ipv6End(_ prefix: ByteView, at i: Int) -> Int? {
    let first = prefix[i]
    guard PrefixDetector.isHex(first) || first == UInt8(ascii: ":"), !prefix.matches(":::", at: i) else { return nil }
    if i > 0, isValueByte(prefix[i - 1]) { return nil }
    var j = i
    var colons = 0
    var double = false
    while j < prefix.count, PrefixDetector.isHex(prefix[j]) || prefix[j] == UInt8(ascii: ":") {
      if prefix[j] == UInt8(ascii: ":") {
        colons += 1
        if j + 1 < prefix.count, prefix[j + 1] == UInt8(ascii: ":") { double = true }
      }
      j += 1
    }
    // It must end on a hex digit, and not run on into a word.
    guard colons >= 2, double || colons == 7, PrefixDetector.isHex(prefix[j - 1]) else { return nil }
    if j < prefix.count, isValueByte(prefix[j]) { return nil }
    return j
  }
}
