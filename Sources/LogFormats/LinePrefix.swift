import LogInput

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
    case .applicationName, .backendType, .user, .database, .remoteHostPort, .remoteHost, .commandTag: true
    default: false
    }
  }

  /// Fields whose values have no space in them, as PostgreSQL prints them (a role or database named with one
  /// is let through only when no other reading of the line fits).
  var holdsNoSpace: Bool {
    switch self {
    case .user, .database, .remoteHost, .remoteHostPort: true
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
  /// The zone is an abbreviation read one way of several; `zone(in:)` finds it again.
  public var zoneAmbiguous = false
  private var zoneStart: Int32 = 0
  private var zoneEnd: Int32 = 0

  /// The time zone abbreviation of the line matched, when there was one.
  public func zone(in line: ByteView) -> ByteView { line.slice(Int(zoneStart), Int(zoneEnd)) }

  mutating func setZone(_ range: Range<Int>?) {
    zoneStart = Int32(truncatingIfNeeded: range?.lowerBound ?? 0)
    zoneEnd = Int32(truncatingIfNeeded: range?.upperBound ?? 0)
  }
  public var pid: Int32 = 0
  /// Where the user, database, application and client are in the line: 32-bit offsets, like the others below,
  /// so that this struct, copied once per line, stays under 128 bytes and its copies inline (callgrind).
  public var user: Range<Int> { Int(texts.0)..<Int(texts.1) }
  public var database: Range<Int> { Int(texts.2)..<Int(texts.3) }
  public var application: Range<Int> { Int(texts.4)..<Int(texts.5) }
  public var client: Range<Int> { Int(texts.6)..<Int(texts.7) }
  fileprivate var texts: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32) = (0, 0, 0, 0, 0, 0, 0, 0)

  mutating func setText(_ field: PrefixField, _ range: Range<Int>) {
    let start = Int32(truncatingIfNeeded: range.lowerBound)
    let end = Int32(truncatingIfNeeded: range.upperBound)
    switch field {
    case .user: (texts.0, texts.1) = (start, end)
    case .database: (texts.2, texts.3) = (start, end)
    case .applicationName: (texts.4, texts.5) = (start, end)
    case .remoteHost, .remoteHostPort: (texts.6, texts.7) = (start, end)
    case .sqlState:
      sqlStateStart = Int32(truncatingIfNeeded: range.lowerBound)
      sqlStateEnd = Int32(truncatingIfNeeded: range.upperBound)
    default: break
    }
  }

  /// `%e`, where the prefix has it. Kept as two 32-bit offsets (a SQLSTATE sits near the start of its line):
  /// this struct is copied once per line, and staying under 128 bytes keeps those copies inline (callgrind).
  public var sqlState: Range<Int>? { sqlStateStart < 0 ? nil : Int(sqlStateStart)..<Int(sqlStateEnd) }
  private var sqlStateStart: Int32 = -1
  private var sqlStateEnd: Int32 = -1
  /// The process id that `%c` (hex start time, dot, hex pid) carries, for checking or standing in for `%p`.
  public var sessionPid: Int32?
  /// The process a tail is remembered for (`PrefixTails`): by %p, else by the pid in %c.
  var tailKey: Int32 { pid != 0 ? pid : sessionPid ?? 0 }
  /// Which reading matched: 0 the prefix, 1 its first alternate, and so on.
  public var reading: UInt8 = 0

  /// Counts a record under the reading that matched it.
  @inline(__always)
  public static func count(_ match: PrefixMatch, in readings: inout [Int]) {
    let index = Int(match.reading)
    if index >= readings.count { readings += [Int](repeating: 0, count: index + 1 - readings.count) }
    readings[index] += 1
  }

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
  /// Where the prefix's tail starts, when it has one: the steps from its first free-text field on, every one a
  /// literal or a field that runs to a literal (`user=%u,db=%d,app=%a,client=%h `), with no %q anywhere. A
  /// line whose bytes there are those of its process's last line reads as that line did (`PrefixTails`).
  private let tailFrom: Int?
  /// The prefix as written in `log_line_prefix` syntax.
  public let text: String
  /// Other readings, tried in order on a line this one does not match: the same log with a `%q` stop that
  /// the sample could not show, or the prefix a part of the log was found to have.
  public private(set) var alternates: [LinePrefix] = []

  /// How the zone after the prefix's timestamps is read.
  public private(set) var zones = LogTimeZone.standard

  /// This prefix, its alternates too, reading zones with `zones`.
  public func reading(_ zones: LogTimeZone) -> LinePrefix {
    var result = self
    result.zones = zones
    result.alternates = alternates.map { $0.reading(zones) }
    return result
  }

  /// This prefix, trying `others` too where it does not match.
  public func trying(_ others: [LinePrefix]) -> LinePrefix {
    var result = self
    result.alternates += others.filter { $0 != self && !alternates.contains($0) }.map { $0.reading(zones) }
    return result
  }

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
    var literalBytes: [UInt8] = []
    var ranges: [Range<Int>] = []
    for element in elements {
      let start = literalBytes.count
      if case .literal(let bytes) = element { literalBytes += bytes }
      ranges.append(start..<literalBytes.count)
    }
    self.literalBytes = literalBytes
    steps = elements.indices.map { index in
      switch elements[index] {
      case .literal:
        return Step(.literal, literal: ranges[index], literals: literalBytes)
      case .sessionOnlyFollows:
        return Step(.sessionOnlyFollows, literal: 0..<0, literals: literalBytes)
      case .field(let field) where field.isFreeText:
        // What follows it, past any %q, decides where it can end.
        guard let next = elements[(index + 1)...].firstIndex(where: { $0 != .sessionOnlyFollows }) else {
          return Step(.textToEnd, field: field, literal: 0..<0, literals: literalBytes)
        }
        guard case .literal = elements[next] else {
          return Step(.textToField, field: field, literal: 0..<0, literals: literalBytes)
        }
        var step = Step(.textToLiteral, field: field, literal: ranges[next], literals: literalBytes)
        step.passesLiteral = next == index + 1 && !elements[..<index].contains(.sessionOnlyFollows)
        return step
      case .field(let field):
        return Step(.field, field: field, literal: 0..<0, literals: literalBytes)
      }
    }
    let compiled = steps
    if let first = compiled.firstIndex(where: {
      $0.kind == .textToLiteral || $0.kind == .textToField || $0.kind == .textToEnd
    }), !elements.contains(.sessionOnlyFollows),
      compiled[first...].allSatisfy({ $0.kind == .literal || $0.kind == .textToLiteral })
    {
      tailFrom = first
    } else {
      tailFrom = nil
    }
  }

  public static func == (a: LinePrefix, b: LinePrefix) -> Bool { a.elements == b.elements }

  public var description: String { text }

  /// Matches the prefix at the start of `line`, then requires a severity marker right after it; where it
  /// does not, each alternate in turn.
  public func match(_ line: ByteView) -> PrefixMatch? {
    var memo = LogTimestamp.Memo()
    return match(line, memo: &memo)
  }

  /// `match`, for a parser reading lines in order: `memo` keeps the minute of the last timestamp read.
  public func match(_ line: ByteView, memo: inout LogTimestamp.Memo) -> PrefixMatch? {
    if let found = matchOwn(line, memo: &memo, tails: nil) { return found }
    return matchAlternates(line, memo: &memo)
  }

  /// `match`, remembering in `tails` how each process's last line ended.
  public func match(_ line: ByteView, memo: inout LogTimestamp.Memo, tails: inout PrefixTails) -> PrefixMatch? {
    let found = withUnsafeMutablePointer(to: &tails) { matchOwn(line, memo: &memo, tails: $0) }
    if let found { return found }
    return matchAlternates(line, memo: &memo)
  }

  private func matchAlternates(_ line: ByteView, memo: inout LogTimestamp.Memo) -> PrefixMatch? {
    for (index, alternate) in alternates.enumerated() {
      if var found = alternate.matchOwn(line, memo: &memo, tails: nil) {
        found.reading = UInt8(truncatingIfNeeded: min(index + 1, 255))
        return found
      }
    }
    return nil
  }

  /// Records per reading as `recordsByPrefix` has them, by text; empty when only the prefix itself read any.
  public func recordsByText(_ readings: [Int]) -> [String: Int] {
    guard readings.count > 1, readings[1...].contains(where: { $0 > 0 }) else { return [:] }
    var result: [String: Int] = [:]
    for (index, count) in readings.enumerated() where count > 0 {
      let text = index == 0 ? self.text : index - 1 < alternates.count ? alternates[index - 1].text : "?"
      result[text, default: 0] += count
    }
    return result
  }

  private func matchOwn(
    _ line: ByteView, memo: inout LogTimestamp.Memo, tails: UnsafeMutablePointer<PrefixTails>?
  ) -> PrefixMatch? {
    var result = PrefixMatch()
    let marker = withUnsafeMutablePointer(to: &memo) { memo in
      steps.withUnsafeBufferPointer { steps in
        literalBytes.withUnsafeBufferPointer { literals -> Marker? in
          let matcher = Matcher(
            steps: steps, literals: literals, line: line, zones: zones, memo: memo,
            tails: tailFrom == nil ? nil : tails, tailFrom: tailFrom ?? -1)
          // Almost every line matches with each free-text field at its first possible end; only when that
          // fails is the search with backtracking run, from scratch: first with names, hosts and codes kept
          // free of spaces (so that an application name with spaces before them takes its spaces), then, for
          // a role or database whose name has one, without.
          if let marker = matcher.matchFirstEnds(into: &result) { return marker }
          result = PrefixMatch()
          if let end = matcher.match(element: 0, at: 0, mayStop: false, search: .validating, into: &result) {
            return Marker(line, at: end)
          }
          result = PrefixMatch()
          guard let end = matcher.match(element: 0, at: 0, mayStop: false, search: .any, into: &result) else {
            return nil
          }
          return Marker(line, at: end)
        }
      }
    }
    guard let marker else { return nil }
    let (end, severity, textStart) = (marker.start, marker.severity, marker.textStart)
    if result.pid == 0, let sessionPid = result.sessionPid { result.pid = sessionPid }
    result.end = end
    result.severity = severity
    result.textStart = textStart
    // `log_error_verbosity = verbose` puts the SQLSTATE before the text: `LOG:  00000: duration: …`.
    if let code = Self.verboseCode(line, at: textStart) {
      if result.sqlState == nil { result.setText(.sqlState, code) }
      result.textStart = code.upperBound + 2
    }
    return result
  }

  /// The SQLSTATE that verbose error reports put at the start of the text (`00000: `, `42P01: `): five digits
  /// or capitals, with a digit among them as every SQLSTATE has, a colon and a space.
  static func verboseCode(_ line: ByteView, at start: Int) -> Range<Int>? {
    guard start + 7 <= line.count, line[start + 5] == UInt8(ascii: ":"), line[start + 6] == UInt8(ascii: " ")
    else { return nil }
    var digit = false
    for i in start..<(start + 5) {
      let b = line[i]
      if b &- 0x30 < 10 {
        digit = true
      } else if b &- 0x41 >= 26 {
        return nil
      }
    }
    return digit ? start..<(start + 5) : nil
  }

  /// How many places a free-text field may end at before the line is given up on (values that contain the
  /// separator that follows them, such as an application name with spaces).
  static let maxTextFieldTries = 8

  /// The severity marker a prefix ends at.
  struct Marker {
    var start: Int
    var severity: Severity
    var textStart: Int

    @inline(__always)
    init?(_ line: ByteView, at start: Int) {
      guard let (severity, textStart) = Severity.parseMarker(line, at: start) else { return nil }
      (self.start, self.severity, self.textStart) = (start, severity, textStart)
    }
  }

  /// One element of the prefix as both searches read it, with nothing to unpack: a literal (its own, or the one
  /// after a free-text field, where the field can end) is a range of `literalBytes` whose first eight bytes are
  /// also kept as one word, to be compared with one load.
  struct Step: Sendable {
    enum Kind: UInt8, Sendable {
      case literal, sessionOnlyFollows, field
      /// A free-text field followed by a literal (past any %q): it runs to an occurrence of the literal.
      case textToLiteral
      /// A free-text field followed by another field (taken as empty) or by nothing (to the severity marker).
      case textToField, textToEnd
    }
    var kind: Kind
    /// The field a field step reads (`.pid`, unread, for the other steps).
    var field: PrefixField
    /// Whether the field's value may not hold a space.
    var holdsNoSpace: Bool
    var first: UInt8
    var literalStart: Int32
    var literalCount: Int32
    /// The literal's first (up to) eight bytes, little-endian, and the mask of those it has.
    var word: UInt64
    var mask: UInt64
    /// For a free-text field: the literal it runs to is the next step, with no %q before either, so that the
    /// first-ends search, having found the literal, passes over it at once instead of comparing it again.
    var passesLiteral = false

    init(_ kind: Kind, field: PrefixField = .pid, literal range: Range<Int>, literals: [UInt8]) {
      self.kind = kind
      self.field = field
      holdsNoSpace = field.holdsNoSpace
      literalStart = Int32(range.lowerBound)
      literalCount = Int32(range.count)
      first = range.isEmpty ? 0 : literals[range.lowerBound]
      word = 0
      mask = 0
      for (k, index) in range.prefix(8).enumerated() {
        word |= UInt64(literals[index]) << (8 * k)
        mask |= 0xFF << (8 * k)
      }
    }
  }

  /// How a match searches where free-text fields end.
  enum Search {
    /// Each at its first possible end, a name, host or code with no space in it (`matchFirstEnds`).
    case firstEnds
    /// Every end in turn (backtracking), a name, host or code with no space in it.
    case validating
    /// Every end in turn, any value.
    case any
  }

  /// One match in progress: the compiled prefix and the line, as raw views so that the hot loop neither
  /// retains nor checks bounds twice.
  private struct Matcher {
    let steps: UnsafeBufferPointer<Step>
    let literals: UnsafeBufferPointer<UInt8>
    let line: ByteView
    let zones: LogTimeZone
    let memo: UnsafeMutablePointer<LogTimestamp.Memo>
    /// The processes' last tails, and the step the tail starts at (-1: none is kept).
    let tails: UnsafeMutablePointer<PrefixTails>?
    let tailFrom: Int

    /// Whether the step's literal is at `position`: its first eight bytes compared as one word where the line
    /// has eight bytes left, the rest byte by byte.
    @inline(__always)
    func literalMatches(_ step: Step, at position: Int) -> Bool {
      let n = Int(step.literalCount)
      guard position + n <= line.count else { return false }
      let a = line.baseAddress! + position
      if position + 8 <= line.count {
        let word = UInt64(littleEndian: UnsafeRawPointer(a).loadUnaligned(as: UInt64.self))
        guard word & step.mask == step.word else { return false }
        if n <= 8 { return true }
        let b = literals.baseAddress! + Int(step.literalStart)
        for k in 8..<n where a[k] != b[k] { return false }
        return true
      }
      let b = literals.baseAddress! + Int(step.literalStart)
      for k in 0..<n where a[k] != b[k] { return false }
      return true
    }

    /// The `.firstEnds` search in one pass: each free-text field runs to the first place its follower occurs,
    /// and fails (for the searches with backtracking to try) when a name, host or code would hold a space.
    /// Returns the severity marker the prefix ends at.
    func matchFirstEnds(into result: inout PrefixMatch) -> Marker? {
      let count = line.count
      guard count > 0 else { return nil }
      let base = line.baseAddress!
      var position = 0
      var mayStop = false
      var index = 0
      // Steps are read in place, each member where it is used: a copy of the whole step for every step of every
      // line was a fifth of the matcher's time (perf annotate).
      let first = steps.baseAddress!
      var tailStart = -1
      while index < steps.count {
        if index == tailFrom, let tails {
          // The tail as the process's last line had it: read as that line was (the searches there look at
          // nothing past the tail's last literal), then the marker after it.
          tailStart = position
          if let end = tails.pointee.reuse(line, at: position, pid: result.tailKey, into: &result) {
            return Marker(line, at: end)
          }
        }
        let step = first + index
        index += 1
        // Background processes print nothing from %q on.
        if mayStop, let marker = Marker(line, at: position) { return marker }
        switch step.pointee.kind {
        case .literal:
          guard literalMatches(step.pointee, at: position) else { return nil }
          position += Int(step.pointee.literalCount)
        case .sessionOnlyFollows:
          mayStop = true
        case .textToLiteral:
          // `literalIndex` and `allows` in one scan, eight bytes at a time to the next candidate: the literal's
          // first byte, or a space where the field may hold none.
          var end = position
          let firsts = 0x0101_0101_0101_0101 &* UInt64(step.pointee.first)
          let spaces: UInt64 = step.pointee.holdsNoSpace ? 0x2020_2020_2020_2020 : firsts
          while true {
            if end + 8 <= count {
              let word = UnsafeRawPointer(base + end).loadUnaligned(as: UInt64.self)
              let found = Self.zeroBytes(word ^ firsts) | Self.zeroBytes(word ^ spaces)
              if found == 0 {
                end += 8
                continue
              }
              end += found.trailingZeroBitCount >> 3
            } else if end >= count {
              return nil
            }
            let b = base[end]
            if b == step.pointee.first && literalMatches(step.pointee, at: end) { break }
            if b == 0x20 && step.pointee.holdsNoSpace { return nil }
            end += 1
          }
          result.setText(step.pointee.field, position..<end)
          position = end
          if step.pointee.passesLiteral {
            position += Int(step.pointee.literalCount)
            index += 1
          }
        case .textToField, .textToEnd:
          guard let end = textFieldEnd(step.pointee, from: position, retry: false),
            allows(step.pointee.field, position..<end, .firstEnds)
          else { return nil }
          result.setText(step.pointee.field, position..<end)
          position = end
        case .field:
          // A process id or line number, which every line has, read here: a call to `matchField` for each cost
          // more than the digits (callgrind).
          let field = step.pointee.field
          if field == .pid || field == .lineNumber {
            guard let (value, end) = line.parseDigits(at: position) else { return nil }
            if field == .pid { result.pid = Int32(truncatingIfNeeded: value) }
            position = end
          } else {
            guard
              let end = LinePrefix.matchField(
                field, in: line, at: position, zones: zones, memo: memo, into: &result)
            else { return nil }
            position = end
          }
        }
      }
      guard let marker = Marker(line, at: position) else { return nil }
      if tailStart >= 0, let tails { tails.pointee.keep(line, tailStart..<position, pid: result.tailKey, from: result) }
      return marker
    }

    /// The high bit of each zero byte of `word` set, at least the lowest one exactly (a borrow can mark bytes above
    /// a zero byte too): `trailingZeroBitCount` finds the first.
    @inline(__always)
    static func zeroBytes(_ word: UInt64) -> UInt64 {
      (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
    }

    /// First offset at or after `from` where the step's literal occurs.
    func literalIndex(_ step: Step, from: Int) -> Int? {
      var position = from
      while let candidate = line.firstIndex(of: step.first, from: position) {
        if literalMatches(step, at: candidate) { return candidate }
        position = candidate + 1
      }
      return nil
    }

    /// Whether a value may stand for `field`: the fields that name a role, a database, a host or a code
    /// hold no space unless the search allows any value.
    @inline(__always)
    func allows(_ field: PrefixField, _ range: Range<Int>, _ search: Search) -> Bool {
      guard field.holdsNoSpace, search != .any, !range.isEmpty else { return true }
      return memchr(line.baseAddress! + range.lowerBound, 0x20, range.count) == nil
    }

    /// Matches elements from `element` on at `position`; returns where the prefix ends, which is always at a
    /// severity marker.
    /// For the searches with backtracking, `.validating` and `.any`; `.firstEnds` is `matchFirstEnds`.
    func match(
      element: Int, at position: Int, mayStop: Bool, search: Search, into result: inout PrefixMatch
    ) -> Int? {
      var index = element
      var position = position
      var mayStop = mayStop
      while index < steps.count {
        // Background processes print nothing from %q on.
        if mayStop, Severity.parseMarker(line, at: position) != nil { return position }
        let step = steps[index]
        switch step.kind {
        case .literal:
          guard literalMatches(step, at: position) else { return nil }
          position += Int(step.literalCount)
        case .sessionOnlyFollows:
          mayStop = true
        case .textToLiteral, .textToField, .textToEnd:
          // Try each place the field could end, shortest first, until the rest of the prefix fits.
          var end = textFieldEnd(step, from: position, retry: false)
          var tries = 0
          while let candidate = end, tries < LinePrefix.maxTextFieldTries {
            if allows(step.field, position..<candidate, search) {
              var attempt = result
              attempt.setText(step.field, position..<candidate)
              if let finished = match(
                element: index + 1, at: candidate, mayStop: mayStop, search: search, into: &attempt)
              {
                result = attempt
                return finished
              }
            }
            tries += 1
            end = textFieldEnd(step, from: candidate + 1, retry: true)
          }
          return nil
        case .field:
          guard
            let end = LinePrefix.matchField(step.field, in: line, at: position, zones: zones, memo: memo, into: &result)
          else { return nil }
          position = end
        }
        index += 1
      }
      // The prefix must be followed by the severity marker; checked here so each backtracking level trusts it.
      return Severity.parseMarker(line, at: position) != nil ? position : nil
    }

    /// Where a free-text field can end at or after `position`: at the next literal of the prefix, or at the
    /// severity marker when none follows.
    func textFieldEnd(_ step: Step, from position: Int, retry: Bool) -> Int? {
      switch step.kind {
      case .textToLiteral:
        return literalIndex(step, from: position)
      case .textToEnd:
        var i = position
        while i < line.count {
          if Severity.parseMarker(line, at: i) != nil { return i }
          i += 1
        }
        return nil
      default:
        // Two fields with nothing between them cannot be split; take the field as empty, once.
        return retry ? nil : position
      }
    }
  }

  private static func matchField(
    _ field: PrefixField, in line: ByteView, at position: Int, zones: LogTimeZone,
    memo: UnsafeMutablePointer<LogTimestamp.Memo>, into result: inout PrefixMatch
  ) -> Int? {
    switch field {
    case .timestamp, .timestampMillis, .sessionStart:
      // A session's start is another minute than the line's: it keeps out of the memo.
      guard
        let parsed = LogTimestamp.parse(
          line, at: position, zones: zones, memo: field == .sessionStart ? nil : memo)
      else { return nil }
      if field != .sessionStart {
        result.time = parsed.time
        result.zoneKnown = parsed.zoneKnown
        if parsed.zoneAmbiguous {
          result.zoneAmbiguous = true
          result.setZone(parsed.zone)
        }
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
    case .sqlState:
      // Five digits or capitals, `00000` where there is no error.
      guard position + 5 <= line.count else { return nil }
      for i in position..<(position + 5) where line[i] &- 0x30 >= 10 && line[i] &- 0x41 >= 26 { return nil }
      result.setText(.sqlState, position..<(position + 5))
      return position + 5
    case .virtualTransactionID:
      // `backend/local`, or nothing for a process without one.
      guard let (_, slash) = line.parseDigits(at: position), slash < line.count, line[slash] == UInt8(ascii: "/"),
        let (_, end) = line.parseDigits(at: slash + 1)
      else { return position }
      return end
    case .queryID:
      // A signed 64-bit number: up to 19 digits and a sign, more than parseDigits reads.
      var start = position
      if start < line.count && line[start] == UInt8(ascii: "-") { start += 1 }
      var end = start
      while end < line.count, line[end] &- 0x30 < 10, end - start < 20 { end += 1 }
      return end > start ? end : nil
    default:
      return nil
    }
  }
}

/// How the last line of each process ended: the bytes of its prefix's tail (see `LinePrefix.tailFrom`) and
/// where the user, database, application and client were in them. A process's lines mostly differ only in their
/// time and line number: the next line whose tail is the same bytes gets the same fields with one comparison,
/// instead of a search for every field's end (half of the matcher's instructions, callgrind).
///
/// A tail's fields follow from its bytes alone, so a slot holds one tail for whichever process wrote it last
/// into it: slots are placed by process id, one table for the tail bytes and one for their fields, looked at in
/// place (a table of values holding their own arrays copied each tail out and back for every line: 2% of the
/// instructions, callgrind). A tail longer than a slot is not kept.
public struct PrefixTails {
  /// The process whose tail a slot holds, its length (-1: none) and its four text fields' starts and ends from
  /// the tail's start (-1 where a field is not in the tail).
  struct Slot {
    var pid: Int32 = 0
    var count: Int32 = -1
    var texts: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32) = (-1, -1, -1, -1, -1, -1, -1, -1)
  }

  static let slotCount = 1_024
  static let slotBytes = 160
  /// Made at the first tail kept.
  private var slots: [Slot] = []
  private var bytes: [UInt8] = []

  public init() {}

  @inline(__always)
  static func slot(_ pid: Int32) -> Int { Int(UInt32(bitPattern: pid) & UInt32(slotCount - 1)) }

  /// The end of the tail at `start` when it is the process's last one, its fields set in `result`.
  @inline(__always)
  func reuse(_ line: ByteView, at start: Int, pid: Int32, into result: inout PrefixMatch) -> Int? {
    guard !slots.isEmpty else { return nil }
    let index = Self.slot(pid)
    return slots.withUnsafeBufferPointer { slots -> Int? in
      let kept = slots[index]
      let count = Int(kept.count)
      guard kept.pid == pid, count >= 0, start + count <= line.count else { return nil }
      let same = bytes.withUnsafeBufferPointer {
        count == 0 || memcmp(line.baseAddress! + start, $0.baseAddress! + index * Self.slotBytes, count) == 0
      }
      guard same else { return nil }
      let base = Int32(truncatingIfNeeded: start)
      @inline(__always) func at(_ offset: Int32, _ absolute: Int32) -> Int32 { offset < 0 ? absolute : base + offset }
      let t = kept.texts
      result.texts = (
        at(t.0, result.texts.0), at(t.1, result.texts.1), at(t.2, result.texts.2), at(t.3, result.texts.3),
        at(t.4, result.texts.4), at(t.5, result.texts.5), at(t.6, result.texts.6), at(t.7, result.texts.7)
      )
      return start + count
    }
  }

  /// Remembers the tail `range` of a line the search read, with the fields it found.
  mutating func keep(_ line: ByteView, _ range: Range<Int>, pid: Int32, from result: PrefixMatch) {
    guard range.count <= Self.slotBytes else { return }
    if slots.isEmpty {
      slots = Array(repeating: Slot(), count: Self.slotCount)
      // Left as the allocator gives it, not zeroed: a slot's bytes are read only after its `count` says they
      // were written. (Zeroed, they cost a 160 KB memset for every piece.)
      bytes = [UInt8](unsafeUninitializedCapacity: Self.slotCount * Self.slotBytes) { _, count in
        count = Self.slotCount * Self.slotBytes
      }
    }
    let low = Int32(truncatingIfNeeded: range.lowerBound)
    let high = Int32(truncatingIfNeeded: range.upperBound)
    let t = result.texts
    // A field's start and end are kept when the tail holds them (a field not in the prefix stays at 0, 0).
    func pair(_ a: Int32, _ b: Int32) -> (Int32, Int32) {
      a >= low && b <= high && a <= b && (a != 0 || b != 0 || low == 0) ? (a - low, b - low) : (-1, -1)
    }
    let (u0, u1) = pair(t.0, t.1)
    let (d0, d1) = pair(t.2, t.3)
    let (a0, a1) = pair(t.4, t.5)
    let (c0, c1) = pair(t.6, t.7)
    let index = Self.slot(pid)
    slots[index] = Slot(
      pid: pid, count: Int32(range.count), texts: (u0, u1, d0, d1, a0, a1, c0, c1))
    bytes.withUnsafeMutableBufferPointer { kept in
      guard let from = line.baseAddress, !range.isEmpty else { return }
      (kept.baseAddress! + index * Self.slotBytes).update(from: from + range.lowerBound, count: range.count)
    }
  }
}
