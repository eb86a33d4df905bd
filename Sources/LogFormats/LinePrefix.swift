#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// `log_line_prefix`: compiled from PostgreSQL's escape syntax and matched against stderr lines, byte by byte.

/// The `log_line_prefix` escapes pgsift understands.
public enum PrefixField: Character, Sendable, CaseIterable {
  case applicationName = "a"
  case backendType = "b"
  case user = "u"
  case database = "d"
  case remoteHostPort = "r"
  case remoteHost = "h"
  case parallelLeader = "P"
  case pid = "p"
  case timestamp = "t"
  case timestampMillis = "m"
  case epochMillis = "n"
  case commandTag = "i"
  case sqlState = "e"
  case sessionID = "c"
  case lineNumber = "l"
  case sessionStart = "s"
  case virtualTransactionID = "v"
  case transactionID = "x"
  case queryID = "Q"

  /// Fields whose text can be anything, so they run to whatever follows them in the prefix.
  var isFreeText: Bool {
    switch self {
    case .applicationName, .backendType, .user, .database, .remoteHostPort, .remoteHost, .commandTag, .sqlState,
      .virtualTransactionID:
      true
    default: false
    }
  }

  /// Fields printed as a run of digits.
  var isNumeric: Bool {
    switch self {
    case .pid, .lineNumber, .transactionID, .parallelLeader: true
    default: false
    }
  }
}

/// One piece of a compiled prefix.
public enum PrefixElement: Sendable, Equatable {
  case literal([UInt8])
  case field(PrefixField)
  /// `%q`: processes without a session stop printing the prefix here.
  case sessionOnlyFollows
}

public struct PrefixSyntaxError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}

/// The fields one prefix match found, as offsets into the line.
public struct PrefixMatch {
  public var time: LogTime?
  public var zoneKnown = true
  public var pid: Int32 = 0
  public var user: Range<Int> = 0..<0
  public var database: Range<Int> = 0..<0
  public var application: Range<Int> = 0..<0
  public var client: Range<Int> = 0..<0
  mutating func setText(_ field: PrefixField, _ range: Range<Int>) {
    switch field {
    case .user: user = range
    case .database: database = range
    case .applicationName: application = range
    case .remoteHost, .remoteHostPort: client = range
    default: break
    }
  }

  /// The process id that `%c` (hex start time, dot, hex pid) carries, for checking or standing in for `%p`.
  public var sessionPid: Int32?
  /// Where the severity marker (`LOG:  `) starts.
  public var end: Int = 0
  public var severity: Severity = .log
  /// Where the message text starts, after the marker.
  public var textStart: Int = 0
}

public struct LinePrefix: Sendable, Equatable, CustomStringConvertible {
  public let elements: [PrefixElement]
  /// The elements again, for matching: literals as ranges of `literalBytes`, so that reading one retains nothing.
  private let steps: [Step]
  private let literalBytes: [UInt8]

  enum Step: Sendable, Equatable {
    case literal(Range<Int>)
    case field(PrefixField)
    case sessionOnlyFollows
  }
  /// The prefix as written in `log_line_prefix` syntax.
  public let text: String

  /// Compiles `log_line_prefix` syntax, e.g. `%t [%p]: [%l-1] user=%u,db=%d `.
  public init(_ text: String) throws(PrefixSyntaxError) {
    var elements: [PrefixElement] = []
    var literal: [UInt8] = []
    var bytes = Array(text.utf8)[...]
    func flush() {
      if !literal.isEmpty { elements.append(.literal(literal)) }
      literal = []
    }
    while let b = bytes.popFirst() {
      guard b == UInt8(ascii: "%") else {
        literal.append(b)
        continue
      }
      // Skip a padding width such as `%-10u`, which PostgreSQL allows.
      var padded = false
      while let next = bytes.first, next == UInt8(ascii: "-") || next &- 0x30 < 10 {
        bytes.removeFirst()
        padded = true
      }
      guard let code = bytes.popFirst() else {
        throw PrefixSyntaxError(message: "log_line_prefix ends with a lone %")
      }
      if code == UInt8(ascii: "%") {
        literal.append(code)
        continue
      }
      if padded {
        throw PrefixSyntaxError(
          message: "log_line_prefix padding (%-N) is not supported: values cannot be told from padding")
      }
      flush()
      if code == UInt8(ascii: "q") {
        elements.append(.sessionOnlyFollows)
        continue
      }
      guard let field = PrefixField(rawValue: Character(Unicode.Scalar(code))) else {
        throw PrefixSyntaxError(message: "log_line_prefix escape %\(Character(Unicode.Scalar(code))) is not known")
      }
      elements.append(.field(field))
    }
    flush()
    self.elements = elements
    self.text = text
    var steps: [Step] = []
    var literalBytes: [UInt8] = []
    for element in elements {
      switch element {
      case .literal(let bytes):
        steps.append(.literal(literalBytes.count..<(literalBytes.count + bytes.count)))
        literalBytes += bytes
      case .field(let field): steps.append(.field(field))
      case .sessionOnlyFollows: steps.append(.sessionOnlyFollows)
      }
    }
    self.steps = steps
    self.literalBytes = literalBytes
  }

  public static func == (a: LinePrefix, b: LinePrefix) -> Bool { a.elements == b.elements }

  @inline(__always)
  private func literalMatches(_ range: Range<Int>, in line: ByteView, at position: Int) -> Bool {
    guard position + range.count <= line.count else { return false }
    return literalBytes.withUnsafeBufferPointer { bytes in
      memcmp(line.baseAddress! + position, bytes.baseAddress! + range.lowerBound, range.count) == 0
    }
  }

  /// First offset at or after `from` where the literal occurs.
  private func literalIndex(_ range: Range<Int>, in line: ByteView, from: Int) -> Int? {
    let first = literalBytes[range.lowerBound]
    var position = from
    while let candidate = line.firstIndex(of: first, from: position) {
      if literalMatches(range, in: line, at: candidate) { return candidate }
      position = candidate + 1
    }
    return nil
  }

  public var description: String { text }

  /// Matches the prefix at the start of `line`, then requires a severity marker right after it.
  public func match(_ line: ByteView) -> PrefixMatch? {
    var result = PrefixMatch()
    guard let end = match(line, element: 0, at: 0, mayStop: false, into: &result),
      let (severity, textStart) = Severity.parseMarker(line, at: end)
    else { return nil }
    if result.pid == 0, let sessionPid = result.sessionPid { result.pid = sessionPid }
    result.end = end
    result.severity = severity
    result.textStart = textStart
    return result
  }

  /// How many places a free-text field may end at before the line is given up on (values that contain the
  /// separator that follows them, such as an application name with spaces).
  static let maxTextFieldTries = 8

  /// Matches elements from `element` on at `position`; returns where the prefix ends, which is always at a
  /// severity marker.
  private func match(
    _ line: ByteView, element: Int, at position: Int, mayStop: Bool, into result: inout PrefixMatch
  ) -> Int? {
    var index = element
    var position = position
    var mayStop = mayStop
    while index < steps.count {
      // Background processes print nothing from %q on.
      if mayStop, Severity.parseMarker(line, at: position) != nil { return position }
      switch steps[index] {
      case .literal(let range):
        guard literalMatches(range, in: line, at: position) else { return nil }
        position += range.count
      case .sessionOnlyFollows:
        mayStop = true
      case .field(let field) where field.isFreeText:
        // Try each place the field could end, shortest first, until the rest of the prefix fits.
        var end = textFieldEnd(in: line, from: position, nextElement: index + 1)
        var tries = 0
        while let candidate = end, tries < Self.maxTextFieldTries {
          var attempt = result
          attempt.setText(field, position..<candidate)
          if let finished = match(line, element: index + 1, at: candidate, mayStop: mayStop, into: &attempt) {
            result = attempt
            return finished
          }
          tries += 1
          end = textFieldEnd(in: line, from: candidate + 1, nextElement: index + 1, retry: true)
        }
        return nil
      case .field(let field):
        guard let end = matchField(field, in: line, at: position, into: &result) else { return nil }
        position = end
      }
      index += 1
    }
    // The prefix must be followed by the severity marker; checked here so each backtracking level trusts it.
    return Severity.parseMarker(line, at: position) != nil ? position : nil
  }

  private func matchField(
    _ field: PrefixField, in line: ByteView, at position: Int, into result: inout PrefixMatch
  ) -> Int? {
    switch field {
    case .timestamp, .timestampMillis, .sessionStart:
      guard let parsed = LogTimestamp.parse(line, at: position) else { return nil }
      if field != .sessionStart {
        result.time = parsed.time
        result.zoneKnown = parsed.zoneKnown
      }
      return parsed.end
    case .epochMillis:
      guard let (time, end) = LogTimestamp.parseEpoch(line, at: position) else { return nil }
      result.time = time
      return end
    case .pid:
      guard let (value, end) = line.parseDigits(at: position) else { return nil }
      result.pid = Int32(truncatingIfNeeded: value)
      return end
    case .lineNumber, .transactionID, .parallelLeader:
      // %P is empty for processes that are not parallel workers.
      if let (_, end) = line.parseDigits(at: position) { return end }
      return field == .parallelLeader ? position : nil
    case .sessionID:
      // `%c` is the backend start time and process id, both in hex, joined by a dot.
      var i = position
      while i < line.count, PrefixDetector.isHex(line[i]) { i += 1 }
      guard i > position, i < line.count, line[i] == UInt8(ascii: "."), i + 1 < line.count else { return nil }
      var pid: Int64 = 0
      var j = i + 1
      while j < line.count, PrefixDetector.isHex(line[j]), j - i <= 8 {
        let b = line[j]
        pid = pid << 4 | Int64(b &- 0x30 < 10 ? b &- 0x30 : (b | 0x20) &- 0x61 + 10)
        j += 1
      }
      guard j > i + 1 else { return nil }
      result.sessionPid = Int32(truncatingIfNeeded: pid)
      return j
    case .queryID:
      var start = position
      if start < line.count && line[start] == UInt8(ascii: "-") { start += 1 }
      guard let (_, end) = line.parseDigits(at: start) else { return nil }
      return end
    default:
      return nil
    }
  }

  /// A free-text field runs to the next literal of the prefix, or to the severity marker when none follows.
  private func textFieldEnd(in line: ByteView, from position: Int, nextElement: Int, retry: Bool = false) -> Int? {
    var next = nextElement
    while next < steps.count, steps[next] == .sessionOnlyFollows { next += 1 }
    if next < steps.count, case .literal(let range) = steps[next] {
      return literalIndex(range, in: line, from: position)
    }
    if next < steps.count {
      // Two fields with nothing between them cannot be split; take the field as empty, once.
      return retry ? nil : position
    }
    var i = position
    while i < line.count {
      if Severity.parseMarker(line, at: i) != nil { return i }
      i += 1
    }
    return nil
  }
}
