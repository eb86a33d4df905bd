// Folds server events into per-fingerprint statistics. This is the hot path: one fingerprint lookup, a few
// integer updates and three interned names per statement; strings are made only for what is kept.
import Fingerprint
import LogFormats
import ServerEvents

/// One group of errors: same severity, same message shape, same statement fingerprint (if any).
public struct ErrorGroup: Sendable {
  public var severity: Severity
  public var message: String
  public var fingerprint: Fingerprint?
  public var count = 0
  public var example: ErrorEvent
  public var firstSeen: LogTime?
  public var lastSeen: LogTime?
}

public struct StatementAggregator: ServerEventSink {
  public let thresholdUs: Int64
  public private(set) var queries: [QueryStats] = []
  private var indexByFingerprint: [Fingerprint: Int] = [:]
  public private(set) var names = ByteInterner()
  private let fingerprinter: Fingerprinter
  private var random = SplitMix64(seed: 0x7067_7369_6674)

  /// The latest statement of each process that became its query's example, waiting for its parameters.
  private var awaitingParameters: [Int32: Int] = [:]

  public private(set) var errorGroups: [ErrorGroup] = []
  private var errorGroupIndex: [String: Int] = [:]

  public private(set) var summary = Summary()
  /// Statements, slow statements, errors and latency over time.
  public private(set) var timeSeries = TimeSeries()
  /// Every timed statement's duration.
  public private(set) var latency = LatencyHistogram()

  public struct Summary: Sendable {
    public var timedStatements = 0
    public var slowStatements = 0
    public var totalUs: Int64 = 0
    public var untimedStatements = 0
    public var prepareSteps = 0
    public var bareDurations = 0
    public var errors = 0
    public var otherEntries = 0
    public var first: LogTime?
    public var last: LogTime?
  }

  public init(thresholdUs: Int64, fingerprinter: Fingerprinter = Fingerprinter()) {
    self.thresholdUs = thresholdUs
    self.fingerprinter = fingerprinter
  }

  public var fingerprinterLookups: Int { fingerprinter.lookups }
  public var parserCalls: Int { fingerprinter.parserCalls }

  private mutating func noteTime(_ time: LogTime?) {
    guard let time else { return }
    if summary.first == nil || time < summary.first! { summary.first = time }
    if summary.last == nil || time > summary.last! { summary.last = time }
  }

  private mutating func index(for text: ByteView) -> Int {
    let resolved = fingerprinter.resolve(text)
    if let index = indexByFingerprint[resolved.fingerprint] { return index }
    let sql = text.string
    let stats = QueryStats(
      fingerprint: resolved.fingerprint, normalized: Fingerprinter.normalize(sql), parseError: resolved.parseError)
    queries.append(stats)
    indexByFingerprint[resolved.fingerprint] = queries.count - 1
    return queries.count - 1
  }

  public mutating func statement(_ event: StatementEvent) {
    let entry = event.entry
    noteTime(entry.time)
    let index = index(for: event.text)
    let pid = entry.pid
    if event.step == .parse || event.step == .bind {
      summary.prepareSteps += 1
      queries[index].prepareSteps += 1
      queries[index].prepareUs += event.durationUs ?? 0
      return
    }
    let database = names.id(of: entry.database)
    let user = names.id(of: entry.user)
    let application = names.id(of: entry.application)
    let becameExample = queries[index].record(
      durationUs: event.durationUs, thresholdUs: thresholdUs, time: entry.time, database: database, user: user,
      application: application, text: event.text, parameters: event.parameters, random: &random)
    if let duration = event.durationUs {
      latency.record(duration)
      if let time = entry.time { timeSeries.record(at: time, durationUs: duration, slow: duration >= thresholdUs) }
      summary.timedStatements += 1
      summary.totalUs += duration
      if duration >= thresholdUs { summary.slowStatements += 1 }
    } else {
      summary.untimedStatements += 1
    }
    if becameExample && event.parameters == nil {
      awaitingParameters[pid] = index
    } else if !awaitingParameters.isEmpty {
      awaitingParameters.removeValue(forKey: pid)
    }
  }

  public mutating func parameters(_ detail: ByteView, pid: Int32) {
    guard let index = awaitingParameters.removeValue(forKey: pid) else { return }
    queries[index].exampleParameters = QueryStats.parametersText(detail)
  }

  public mutating func error(_ event: ErrorEvent) {
    noteTime(event.time)
    summary.errors += 1
    if let time = event.time { timeSeries.recordError(at: time) }
    var fingerprint: Fingerprint?
    if let statement = event.statement {
      let bytes = Array(statement.utf8)
      fingerprint = bytes.withUnsafeBufferPointer { fingerprinter.resolve($0).fingerprint }
    }
    let shape = Self.messageShape(event.message)
    let key = "\(event.severity.rawValue)|\(shape)|\(fingerprint?.hex ?? "")"
    if let index = errorGroupIndex[key] {
      errorGroups[index].count += 1
      if let time = event.time {
        if errorGroups[index].firstSeen.map({ time < $0 }) ?? true { errorGroups[index].firstSeen = time }
        if errorGroups[index].lastSeen.map({ time > $0 }) ?? true { errorGroups[index].lastSeen = time }
      }
    } else {
      errorGroupIndex[key] = errorGroups.count
      errorGroups.append(
        ErrorGroup(
          severity: event.severity, message: shape, fingerprint: fingerprint, count: 1, example: event,
          firstSeen: event.time, lastSeen: event.time))
    }
  }

  /// An error message with its numbers replaced, so `at character 15` and `at character 16` group together;
  /// quoted names are kept, since they tell which object failed.
  static func messageShape(_ message: String) -> String {
    var out = ""
    var inNumber = false
    for c in message {
      if c.isASCII && c.isNumber {
        if !inNumber { out += "N" }
        inNumber = true
      } else {
        inNumber = false
        out.append(c)
      }
    }
    return out
  }

  public mutating func other(_ entry: LogEntry) {
    noteTime(entry.time)
    if entry.severity == .log, let message = StatementMessage.parse(entry.message), message.isBareDuration {
      summary.bareDurations += 1
    } else {
      summary.otherEntries += 1
    }
  }

  /// Errors per statement fingerprint, summed over the error groups.
  public var errorsByFingerprint: [Fingerprint: Int] {
    var counts: [Fingerprint: Int] = [:]
    for group in errorGroups {
      if let fingerprint = group.fingerprint { counts[fingerprint, default: 0] += group.count }
    }
    return counts
  }

  public func name(_ id: Int32) -> String { names.string(id) }
}
