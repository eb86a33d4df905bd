// Everything pgsift knows about one statement fingerprint. Every field merges: two QueryStats built from two
// pieces of a log combine into exactly what one pass over both would give, whatever order the pieces came
// in. Where one execution must be chosen (the example, the first text, the samples) the choice depends only on
// the executions themselves, never on the order they were seen in.
import Fingerprint
import LogInput
import ServerEvents

/// Where a record lies in the input: the file's place on the command line, then its line. Orders executions
/// for ties, so that a split run chooses what a single pass would.
public typealias InputPosition = Int64

extension InputPosition {
  public init(file: Int, line: Int) { self = Int64(file) << 40 | Int64(line & (1 << 40 - 1)) }
  public var fileOrdinal: Int { Int(self >> 40) }
  /// The same line in the file `files` places later on the command line.
  public func shifted(files: Int) -> InputPosition { self == .max ? self : self + Int64(files) << 40 }
}

public struct QueryStats: Sendable, Codable {
  public let fingerprint: Fingerprint
  /// Why libpg_query could not parse it, when the fingerprint came from the lexer.
  public var parseError: String?
  /// Normalized text of the earliest statement (constants as `$n`); filled by `StatementAggregator.finish`.
  public var normalized: String = ""
  /// The earliest statement's text and where it was, so the normalized text does not depend on reading order.
  public var firstText: String = ""
  public var firstPosition: InputPosition = .max

  /// Timed executions: `statement:` and `execute` records with a duration.
  public var calls = 0
  /// Timed executions at or over the slow threshold.
  public var slowCalls = 0
  public var totalUs: Int64 = 0
  public var minUs: Int64 = .max
  public var maxUs: Int64 = 0
  /// Time spent slow: the sum of durations at or over the threshold.
  public var slowTotalUs: Int64 = 0
  /// Extended-protocol parse and bind time, folded in here rather than counted as statements.
  public var prepareUs: Int64 = 0
  public var prepareSteps = 0
  /// Executions logged without a duration (log_statement).
  public var untimedCalls = 0
  public var distribution = DurationDistribution()
  /// Executions over time, for a sparkline.
  public var activity = CallCounts()
  public var firstSeen: LogTime?
  public var lastSeen: LogTime?
  /// Executions (timed and untimed) by interned database, user and application name.
  public var databases = NameCounts()
  public var users = NameCounts()
  public var applications = NameCounts()
  /// The slowest execution (the earliest of equals; an untimed one only when none was timed): its text, and
  /// its bind parameters when the log gave them.
  public var example: String?
  public var exampleParameters: String?
  public var exampleDurationUs: Int64 = -1
  /// The largest literal `OFFSET` the query was run with (deep pagination).
  public var maxOffset: Int?
  public var examplePosition: InputPosition = .max
  /// A uniform sample of executed texts, for the advisors to see which constants recur: the executions with
  /// the lowest priorities, a hash of where and when each ran (a bottom-k sample, which merges exactly).
  public private(set) var sampled: [Sample] = []
  public static let sampleLimit = 16

  /// The `sampleLimit` samples of lowest priority, in order: their places sorted, not the samples themselves,
  /// which moved their texts' references at every step (a sort per query per piece folded, callgrind).
  static func lowest(_ samples: [Sample]) -> [Sample] {
    let order = samples.withUnsafeBufferPointer { all in
      all.indices.sorted { all[$0] < all[$1] }
    }
    return order.prefix(sampleLimit).map { samples[$0] }
  }
  /// Which of its first constants kept one value in every execution: the first execution's digest, and a bit
  /// per constant that differed in another. Nil when that is not known (a run saved by an older pgsift).
  public internal(set) var constancy: Constancy?

  public struct Constancy: Sendable, Codable, Equatable {
    public var first: LiteralDigest
    public var varied: UInt8

    /// Whether the constant at `place` was the same in every execution.
    public func same(at place: Int) -> Bool { varied & (1 << place) == 0 }

    mutating func add(_ other: Constancy) {
      varied |= other.varied | first.differences(from: other.first)
    }
  }
  /// auto_explain plans of this query, and what they say.
  public var plans = PlanFacts()
  /// Calls and time by the endpoint their tags name; nil while no call carried one.
  public var endpoints: EndpointTimes?

  /// One sampled execution: its text and, for a `$n` statement, the bind values its `DETAIL: parameters` gave
  /// (`$1 = 'ready', $2 = NULL`, as logged).
  public struct Sample: Sendable, Codable, Equatable {
    public var priority: UInt64
    public var text: String
    public var parameters: String?
    static func < (a: Sample, b: Sample) -> Bool { (a.priority, a.text) < (b.priority, b.text) }
  }

  /// What recording an execution kept of it: whether it became the example, and its sample's priority when it
  /// entered the sample (so the parameters that follow it go there too).
  public struct Recorded {
    public var example = false
    public var sample: UInt64?
  }

  public init(fingerprint: Fingerprint, parseError: String?) {
    self.fingerprint = fingerprint
    self.parseError = parseError
  }

  public var meanUs: Double { calls > 0 ? Double(totalUs) / Double(calls) : 0 }

  /// The sample with each text rewritten (redaction keeps the executions, not their values).
  mutating func redactSamples(_ rewrite: (String) -> String) {
    for index in sampled.indices {
      sampled[index].text = rewrite(sampled[index].text)
      sampled[index].parameters = nil
    }
  }

  /// The sampled texts, in priority order.
  public var samples: [String] { sampled.sorted(by: <).map(\.text) }

  /// The sampled executions, texts and bind values, in priority order.
  public var sampledExecutions: [Sample] { sampled.sorted(by: <) }

  /// Gives the sampled execution of `priority`, when it is still in the sample, the bind values logged after it.
  mutating func noteSampleParameters(_ detail: ByteView, priority: UInt64) {
    guard let index = sampled.firstIndex(where: { $0.priority == priority }), sampled[index].parameters == nil
    else { return }
    sampled[index].parameters = Self.sampleParametersText(detail)
  }

  /// Notes the text of a statement seen at `position` (any step), keeping the earliest.
  mutating func noteText(_ text: ByteView, at position: InputPosition) {
    guard position < firstPosition else { return }
    firstPosition = position
    firstText = text.string
  }

  /// Counts one execution; returns whether it became the example and entered the sample (so its parameters may
  /// follow).
  mutating func record(
    durationUs: Int64?, thresholdUs: Int64, time: LogTime?, pid: Int32, position: InputPosition, database: Int32,
    user: Int32, application: Int32, text: ByteView, parameters: ByteView?, constants: LiteralDigest? = nil
  ) -> Recorded {
    if let constants {
      if constancy == nil && calls == 0 && untimedCalls == 0 {
        constancy = Constancy(first: constants, varied: 0)
      } else {
        constancy?.add(Constancy(first: constants, varied: 0))
      }
    }
    seen(at: time)
    if let time { activity.record(at: time) }
    // One String for the text however many fields keep it (the first text, the example, a sample share it).
    var made: String?
    // The first text is this one only when its bytes are: records of one line (an Event Hub batch) share a position.
    let first = position == firstPosition && Self.holds(firstText, text) ? firstText : nil
    func string() -> String {
      if let made { return made }
      let value = first ?? text.string
      made = value
      return value
    }
    var recorded = Recorded()
    let priority = Self.priority(position: position, time: time, pid: pid, durationUs: durationUs)
    if sample(priority: priority, parameters: parameters, string) { recorded.sample = priority }
    databases.add(database)
    users.add(user)
    applications.add(application)
    guard let duration = durationUs else {
      untimedCalls += 1
      guard exampleDurationUs < 0, position < examplePosition else { return recorded }
      example = string()
      exampleParameters = parameters.map(Self.parametersText)
      examplePosition = position
      recorded.example = true
      return recorded
    }
    calls += 1
    totalUs += duration
    if duration < minUs { minUs = duration }
    if duration > maxUs { maxUs = duration }
    if duration >= thresholdUs {
      slowCalls += 1
      slowTotalUs += duration
    }
    distribution.record(duration)
    guard duration > exampleDurationUs || (duration == exampleDurationUs && position < examplePosition) else {
      return recorded
    }
    exampleDurationUs = duration
    example = string()
    exampleParameters = parameters.map(Self.parametersText)
    examplePosition = position
    recorded.example = true
    return recorded
  }

  /// Whether `string`'s UTF-8 is `bytes`: compared in place when the string's bytes lie together (a native
  /// string's do), where `elementsEqual` went byte by byte through the view's iterator (callgrind).
  static func holds(_ string: String, _ bytes: ByteView) -> Bool {
    guard string.utf8.count == bytes.count else { return false }
    return string.utf8.withContiguousStorageIfAvailable { $0.hasSameBytes(as: bytes) }
      ?? string.utf8.elementsEqual(bytes)
  }

  /// A sample priority that depends only on the execution: its line, time, process and duration.
  static func priority(position: InputPosition, time: LogTime?, pid: Int32, durationUs: Int64?) -> UInt64 {
    var mix = SplitMix64(seed: UInt64(bitPattern: position & (1 << 40 - 1)))
    var h = mix.next() ^ UInt64(bitPattern: time?.epochMs ?? -1)
    mix = SplitMix64(seed: h)
    h = mix.next() ^ UInt64(UInt32(bitPattern: pid)) << 32 ^ UInt64(bitPattern: durationUs ?? -1)
    mix = SplitMix64(seed: h)
    return mix.next()
  }

  /// Offers an execution to the bottom-k sample; returns whether it entered.
  private mutating func sample(priority: UInt64, parameters: ByteView?, _ text: () -> String) -> Bool {
    let slot: Int
    if sampled.count < Self.sampleLimit {
      sampled.append(Sample(priority: priority, text: text()))
      slot = sampled.count - 1
    } else {
      // Most executions are not among the lowest: a pass over the priorities alone tells, without the copies
      // of each sample (and its texts' references) that comparing whole samples made (callgrind).
      let rejected = sampled.withUnsafeBufferPointer { all in
        var highest = all[0].priority
        for i in 1..<all.count where all[i].priority > highest { highest = all[i].priority }
        return priority > highest
      }
      if rejected { return false }
      // The largest sample has the highest priority, which the pass above found at least as high as this one's.
      var largest = 0
      for i in 1..<sampled.count where sampled[largest] < sampled[i] { largest = i }
      let candidate = Sample(priority: priority, text: text())
      guard candidate < sampled[largest] else { return false }
      sampled[largest] = candidate
      slot = largest
    }
    // Its bind values, when the record carries them (csvlog, jsonlog); a stderr log's come after it.
    sampled[slot].parameters = parameters.flatMap(Self.sampleParametersText)
    return true
  }

  /// Bytes of a sampled execution's bind values kept: a value as long as a bytea or a document would otherwise be
  /// held sixteen times a query.
  public static let sampleParametersLimit = 4_096

  /// The bind values a sample keeps: the whole detail, or its first values that fit the limit (cut before the
  /// `, $n = ` of the first value past it); nil when not even the first fits.
  public static func sampleParametersText(_ detail: ByteView) -> String? {
    let text = parametersText(detail)
    guard text.utf8.count > sampleParametersLimit else { return text }
    let bytes = Array(text.utf8.prefix(sampleParametersLimit + 3))
    // Where each value ends, outside quotes (a quote inside a value is doubled, which toggles twice).
    var cut: Int?
    var quoted = false
    for i in bytes.indices {
      if bytes[i] == UInt8(ascii: "'") {
        quoted.toggle()
      } else if !quoted, i + 2 < bytes.count, i <= sampleParametersLimit, bytes[i] == UInt8(ascii: ","),
        bytes[i + 1] == UInt8(ascii: " "), bytes[i + 2] == UInt8(ascii: "$")
      {
        cut = i
      }
    }
    return cut.map { String(decoding: bytes[..<$0], as: UTF8.self) }
  }

  static func parametersText(_ detail: ByteView) -> String {
    // The label taken off the bytes: the String's `dropFirst(12)` walked twelve characters and made a second
    // String. When the byte after it is ASCII, twelve bytes are twelve characters (no mark joins the space),
    // so the text is the same; otherwise the characters are counted as before.
    let label = 12
    if detail.matches("parameters: ", at: 0), detail.count == label || detail[label] < 0x80 {
      return detail.slice(from: label).string
    }
    let text = detail.string
    return text.hasPrefix("parameters: ") ? String(text.dropFirst(label)) : text
  }

  mutating func seen(at time: LogTime?) {
    guard let time else { return }
    if firstSeen == nil || time < firstSeen! { firstSeen = time }
    if lastSeen == nil || time > lastSeen! { lastSeen = time }
  }

  /// Adds another piece's statistics for the same fingerprint; `names` maps its name ids to this side's.
  mutating func noteOffset(_ offset: Int) { maxOffset = max(maxOffset ?? 0, offset) }

  mutating func merge(_ other: QueryStats, names: [Int32]) {
    if parseError == nil { parseError = other.parseError }
    // Either side without what its constants were makes the whole unknown.
    let executions = calls + untimedCalls
    if other.calls + other.untimedCalls > 0 {
      if let theirs = other.constancy, executions == 0 || constancy != nil {
        if constancy == nil { constancy = theirs } else { constancy!.add(theirs) }
      } else {
        constancy = nil
      }
    }
    if let offset = other.maxOffset { noteOffset(offset) }
    if other.firstPosition < firstPosition {
      firstPosition = other.firstPosition
      firstText = other.firstText
    }
    calls += other.calls
    slowCalls += other.slowCalls
    totalUs += other.totalUs
    minUs = min(minUs, other.minUs)
    maxUs = max(maxUs, other.maxUs)
    slowTotalUs += other.slowTotalUs
    prepareUs += other.prepareUs
    prepareSteps += other.prepareSteps
    untimedCalls += other.untimedCalls
    distribution.merge(other.distribution)
    activity.merge(other.activity)
    if let time = other.firstSeen { seen(at: time) }
    if let time = other.lastSeen { seen(at: time) }
    databases.add(other.databases, names: names)
    users.add(other.users, names: names)
    applications.add(other.applications, names: names)
    if other.exampleDurationUs > exampleDurationUs
      || (other.exampleDurationUs == exampleDurationUs && other.examplePosition < examplePosition)
    {
      example = other.example
      exampleParameters = other.exampleParameters
      exampleDurationUs = other.exampleDurationUs
      examplePosition = other.examplePosition
    }
    sampled = Self.lowest(sampled + other.sampled)
    plans.add(other.plans)
    if let theirs = other.endpoints {
      if endpoints == nil { endpoints = EndpointTimes() }
      endpoints!.add(theirs)
    }
  }

  /// Counts a timed call of the endpoint `endpoint`.
  mutating func noteEndpoint(_ endpoint: String, durationUs: Int64, slow: Bool) {
    if endpoints == nil { endpoints = EndpointTimes() }
    endpoints!.add(endpoint, EndpointTimes.Times(durationUs: durationUs, slow: slow))
  }

  /// The same statistics as if the files had come `files` places later on the command line.
  mutating func shiftFiles(by files: Int) {
    firstPosition = firstPosition.shifted(files: files)
    examplePosition = examplePosition.shifted(files: files)
    plans.examplePosition = plans.examplePosition.shifted(files: files)
  }
}

/// Counts by interned name. A query runs under few names, so a short list searched in order beats hashing.
public struct NameCounts: Sendable, Codable, Sequence {
  private var ids: [Int32] = []
  private var counts: [Int] = []
  /// Where each id is, once there are more than a few (most queries see one database, a few users): a long
  /// tail of names (a user per tenant) is counted in constant time a statement, not in a scan.
  private var index: [Int32: Int]?

  static let scanLimit = 16

  public init() {}

  enum CodingKeys: String, CodingKey { case ids, counts }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    ids = try c.decode([Int32].self, forKey: .ids)
    counts = try c.decode([Int].self, forKey: .counts)
    if ids.count > Self.scanLimit {
      index = Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(ids, forKey: .ids)
    try c.encode(counts, forKey: .counts)
  }

  mutating func add(_ id: Int32, count: Int = 1) {
    if index != nil {
      if let i = index![id] {
        counts[i] += count
        return
      }
      index![id] = ids.count
    } else if let i = ids.firstIndex(of: id) {
      counts[i] += count
      return
    } else if ids.count == Self.scanLimit {
      index = Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
      index![id] = ids.count
    }
    ids.append(id)
    counts.append(count)
  }

  /// Adds another piece's counts; `names` maps its ids to this side's.
  mutating func add(_ other: NameCounts, names: [Int32]) {
    for (id, count) in other { add(names[Int(id)], count: count) }
  }

  public func makeIterator() -> Zip2Sequence<[Int32], [Int]>.Iterator { zip(ids, counts).makeIterator() }

  public var count: Int { ids.count }

  /// Whether every id has its count (a saved state read back is checked for it).
  var isWellFormed: Bool { ids.count == counts.count && Set(ids).count == ids.count }
}

/// A small, fast, seeded generator (and a good 64-bit mixer).
public struct SplitMix64: Sendable {
  private var state: UInt64
  public init(seed: UInt64) { state = seed }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in [0, 1).
  public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
