// Folds server events into per-fingerprint statistics. This is the hot path: one fingerprint lookup, a few
// integer updates and three interned names per statement; strings are made only for what is kept.
//
// Aggregators merge: a log read in pieces, by several threads or on several hosts, gives per-piece
// aggregators whose merge equals one pass over the whole. Choices between executions are made by where they
// lie in the input (`InputPosition`), never by the order they arrived in.
import AppPatterns
import Fingerprint
import IntegerTables
import LogInput
import ServerEvents

/// One group of errors: same severity, same SQLSTATE (when the log carries it), same message shape, same
/// statement fingerprint (if any).
public struct ErrorGroup: Sendable, Codable {
  public var severity: Severity
  public var sqlState: String?
  public var message: String
  public var fingerprint: Fingerprint?
  public var count = 0
  /// The earliest error of the group, and where it was.
  public var example: ServerMessage
  public var examplePosition: InputPosition
  public var firstSeen: LogTime?
  public var lastSeen: LogTime?

  /// What makes errors one group.
  struct Key: Hashable {
    var severity: Severity
    var sqlState: String?
    var message: String
    var fingerprint: Fingerprint?
  }

  var key: Key { Key(severity: severity, sqlState: sqlState, message: message, fingerprint: fingerprint) }

  mutating func add(_ other: ErrorGroup) {
    count += other.count
    if other.examplePosition < examplePosition {
      example = other.example
      examplePosition = other.examplePosition
    }
    if let time = other.firstSeen, firstSeen.map({ time < $0 }) ?? true { firstSeen = time }
    if let time = other.lastSeen, lastSeen.map({ time > $0 }) ?? true { lastSeen = time }
  }
}

public struct StatementAggregator: FingerprintedEventSink {
  public let thresholdUs: Int64
  /// The place on the command line of the file whose events come in now.
  public var fileOrdinal = 0
  public internal(set) var queries: [QueryStats] = []
  private var indexByFingerprint: [Fingerprint: Int] = [:]
  /// Distinct fingerprints kept apart (see `keepWithinBudget`); nil keeps every one.
  public var fingerprintBudget: Int?
  /// The executions of the fingerprints the budget folded.
  public internal(set) var folded = FoldedQueries()
  public private(set) var names = ByteInterner()
  /// Timed calls and time by database, user, application and client host.
  public private(set) var timeByName = NameTimes()
  /// Database time per request, where statements carry a `traceparent`.
  public var requests = RequestTimes()
  /// Endpoint names by a hash of the tag values that make them, so that a tagged statement makes no String.
  private var endpointCache: [UInt64: String] = [:]

  /// The latest statement of each process that became its query's example or entered its sample, waiting for
  /// its parameters.
  private var awaitingParameters = IntegerTable<Int32, Awaiting>()

  private struct Awaiting {
    var query: Int
    var position: InputPosition
    var example: Bool
    /// The priority of its sampled execution, when it entered the sample.
    var sample: UInt64?
  }

  public internal(set) var errorGroups: [ErrorGroup] = []
  private var errorGroupIndex: [ErrorGroup.Key: Int] = [:]

  public private(set) var summary = Summary()
  /// Statements, slow statements, errors and latency over time.
  public private(set) var timeSeries = TimeSeries()
  /// Every timed statement's duration.
  public private(set) var latency = LatencyHistogram()
  /// Lock waits, temporary files, checkpoints, autovacuum, connections, cancellations.
  public internal(set) var activity = ServerActivity()
  /// PgBouncer's events, from its own log.
  public private(set) var pgbouncer = PgBouncerActivity()
  /// The bursts ORM loops make in sessions (N+1 reads, row-by-row writes).
  public private(set) var bursts = SessionBursts()
  /// Executed statements not yet given to `bursts`: a piece's, in log order per process, until the fold adds
  /// them after the pieces before it (see `merge`).
  private var steps: [SessionStep] = []
  /// Room made for steps at a piece's first: about a 1 MiB piece's executed statements.
  static let initialSteps = 4096
  /// The traits of texts seen lately (a prepared statement's executions send one text again and again).
  private var traitsSeen = TraitsCache()
  /// The names the last statement's record gave, by id, tried first for the next (`ByteInterner.id(of:last:)`).
  private var lastNames = LastNames()
  private struct LastNames: Sendable {
    var database: Int32 = -1
    var user: Int32 = -1
    var application: Int32 = -1
    var host: Int32 = -1
  }

  public struct Summary: Sendable, Codable {
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
    /// LOG records shaped like a duration in another language (`Dauer: 6.261 ms  Anweisung: …`), by their word
    /// for "duration": the server's lc_messages is not English, and pgsift reads English messages only.
    public var localizedDurations: [String: Int] = [:]
    /// auto_explain plans read.
    public var plans = 0
    /// Executions --include-query / --exclude-query left out.
    public var filteredStatements = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
      case timedStatements, slowStatements, totalUs, untimedStatements, prepareSteps, bareDurations, errors
      case otherEntries, first, last, localizedDurations, plans, filteredStatements
    }

    /// Reads a summary, the later fields absent from older saved states as 0.
    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      timedStatements = try c.decode(Int.self, forKey: .timedStatements)
      slowStatements = try c.decode(Int.self, forKey: .slowStatements)
      totalUs = try c.decode(Int64.self, forKey: .totalUs)
      untimedStatements = try c.decode(Int.self, forKey: .untimedStatements)
      prepareSteps = try c.decode(Int.self, forKey: .prepareSteps)
      bareDurations = try c.decode(Int.self, forKey: .bareDurations)
      errors = try c.decode(Int.self, forKey: .errors)
      otherEntries = try c.decode(Int.self, forKey: .otherEntries)
      first = try c.decodeIfPresent(LogTime.self, forKey: .first)
      last = try c.decodeIfPresent(LogTime.self, forKey: .last)
      localizedDurations = try c.decodeIfPresent([String: Int].self, forKey: .localizedDurations) ?? [:]
      plans = try c.decodeIfPresent(Int.self, forKey: .plans) ?? 0
      filteredStatements = try c.decodeIfPresent(Int.self, forKey: .filteredStatements) ?? 0
    }

    mutating func note(_ time: LogTime?) {
      guard let time else { return }
      if first == nil || time < first! { first = time }
      if last == nil || time > last! { last = time }
    }

    mutating func add(_ other: Summary) {
      timedStatements += other.timedStatements
      slowStatements += other.slowStatements
      totalUs += other.totalUs
      untimedStatements += other.untimedStatements
      prepareSteps += other.prepareSteps
      bareDurations += other.bareDurations
      errors += other.errors
      otherEntries += other.otherEntries
      for (word, count) in other.localizedDurations { localizedDurations[word, default: 0] += count }
      plans += other.plans
      filteredStatements += other.filteredStatements
      note(other.first)
      note(other.last)
    }
  }

  /// `intervalMs`: the time series' first interval (it doubles to stay within its bucket count).
  public init(thresholdUs: Int64, intervalMs: Int64 = 1_000) {
    self.thresholdUs = thresholdUs
    timeSeries = TimeSeries(intervalMs: intervalMs)
  }

  /// Takes over the sessions of the files before, as a file's first piece (its steps are not yet given to its
  /// own bursts): a session open at the end of one file goes on in the next, step by step, as in one file. The
  /// file's aggregate hands them back when it is folded into the whole at its end.
  public mutating func continueSessions(of earlier: inout StatementAggregator) {
    earlier.addSteps()
    bursts.merge(earlier.bursts)
    earlier.bursts = SessionBursts()
  }

  private func position(_ line: Int) -> InputPosition { InputPosition(file: fileOrdinal, line: line) }

  private mutating func index(for resolved: ResolvedStatement) -> Int {
    if let index = indexByFingerprint[resolved.fingerprint] { return index }
    queries.append(QueryStats(fingerprint: resolved.fingerprint, parseError: resolved.parseError))
    indexByFingerprint[resolved.fingerprint] = queries.count - 1
    return queries.count - 1
  }

  public mutating func filteredOut(_ event: StatementEvent) {
    if event.step != .parse && event.step != .bind { summary.filteredStatements += 1 }
  }

  public mutating func statement(
    _ event: StatementEvent, resolved: ResolvedStatement, textHash: UInt64, checkHash: UInt64
  ) {
    let entry = event.entry
    summary.note(entry.time)
    // One hash of the text served the fingerprint cache and, below, serves the session steps' values.
    let index = index(for: resolved)
    let pid = entry.pid
    let position = position(entry.lineNumber)
    queries[index].noteText(event.text, at: position)
    if event.step == .parse || event.step == .bind {
      // Parameters after a bind belong to it, not to the process's last execution.
      if !awaitingParameters.isEmpty { awaitingParameters.removeValue(forKey: pid) }
      summary.prepareSteps += 1
      queries[index].prepareSteps += 1
      queries[index].prepareUs += event.durationUs ?? 0
      return
    }
    let database = names.id(of: entry.database, last: &lastNames.database)
    let user = names.id(of: entry.user, last: &lastNames.user)
    let application = names.id(of: entry.application, last: &lastNames.application)
    let traits = traitsSeen.traits(of: event.text, hash: textHash, check: checkHash)
    if let offset = traits.offset { queries[index].noteOffset(offset) }
    var values: UInt64?
    if event.step == .simple || event.parameters != nil {
      values = textHash ^ (event.parameters.map { Fingerprinter.textHash($0) &* 31 } ?? 0)
    }
    // A piece holds thousands of steps: grown from empty, the array was copied a dozen times a piece.
    if steps.capacity == 0 { steps.reserveCapacity(Self.initialSteps) }
    steps.append(
      SessionStep(
        pid: pid, timeMs: entry.time?.epochMs, fingerprint: queries[index].fingerprint, traits: traits,
        values: values, durationUs: event.durationUs ?? 0))
    let recorded = queries[index].record(
      durationUs: event.durationUs, thresholdUs: thresholdUs, time: entry.time, pid: pid, position: position,
      database: database, user: user, application: application, text: event.text, parameters: event.parameters,
      constants: resolved.constants)
    if let duration = event.durationUs {
      let slow = duration >= thresholdUs
      timeByName.add(
        database: database, user: user, application: application,
        host: names.id(of: entry.clientHost, last: &lastNames.host),
        CallTimes(durationUs: duration, slow: slow))
      let tags = QueryTags.read(event.text, cache: &endpointCache)
      if let endpoint = tags.endpoint {
        queries[index].noteEndpoint(endpoint, durationUs: duration, slow: slow)
      }
      if let trace = tags.trace, let time = entry.time {
        requests.add(trace: trace, endpoint: tags.endpoint, durationUs: duration, timeMs: time.epochMs)
      }
      latency.record(duration)
      if let time = entry.time { timeSeries.record(at: time, durationUs: duration, slow: slow) }
      summary.timedStatements += 1
      summary.totalUs += duration
      if slow { summary.slowStatements += 1 }
    } else {
      summary.untimedStatements += 1
    }
    if event.parameters == nil && (recorded.example || recorded.sample != nil) {
      awaitingParameters[pid] = Awaiting(
        query: index, position: position, example: recorded.example, sample: recorded.sample)
    } else if !awaitingParameters.isEmpty {
      awaitingParameters.removeValue(forKey: pid)
    }
  }

  public mutating func parameters(_ detail: ByteView, pid: Int32) {
    guard let awaiting = awaitingParameters.removeValue(forKey: pid) else { return }
    if awaiting.example && queries[awaiting.query].examplePosition == awaiting.position {
      queries[awaiting.query].exampleParameters = QueryStats.parametersText(detail)
    }
    if let priority = awaiting.sample { queries[awaiting.query].noteSampleParameters(detail, priority: priority) }
  }

  public mutating func message(_ event: ServerMessage, fingerprint: Fingerprint?) {
    summary.note(event.time)
    summary.otherEntries += 1
    activity.record(message: event, fingerprint: fingerprint, position: position(event.lineNumber))
  }

  public mutating func error(_ event: ServerMessage, fingerprint: Fingerprint?) {
    summary.note(event.time)
    summary.errors += 1
    if let time = event.time { timeSeries.recordError(at: time) }
    activity.record(error: event, fingerprint: fingerprint, position: position(event.lineNumber))
    add(
      ErrorGroup(
        severity: event.severity, sqlState: event.sqlState, message: MessageText.shape(event.message),
        fingerprint: fingerprint, count: 1,
        example: event, examplePosition: position(event.lineNumber), firstSeen: event.time, lastSeen: event.time))
  }

  private mutating func add(_ group: ErrorGroup) {
    let key = group.key
    if let index = errorGroupIndex[key] {
      errorGroups[index].add(group)
    } else {
      errorGroupIndex[key] = errorGroups.count
      errorGroups.append(group)
    }
  }

  public mutating func activity(_ event: ActivityEvent, from origin: EventOrigin) {
    summary.note(origin.time)
    switch event {
    case .pgbouncer(let line):
      pgbouncer.record(line, at: origin.time)
      return
    case .bareDuration:
      summary.bareDurations += 1
      return
    case .localizedDuration(let word): summary.localizedDurations[word, default: 0] += 1
    case .plan: break
    case .connectionReceived:
      if let time = origin.time { timeSeries.recordConnection(at: time) }
      activity.record(event, from: origin)
    case .disconnection(let sessionMs):
      if let time = origin.time, let sessionMs { timeSeries.recordSession(endingAt: time, sessionMs: sessionMs) }
      activity.record(event, from: origin)
    default: activity.record(event, from: origin)
    }
    summary.otherEntries += 1
  }

  /// An auto_explain record: its plan's facts go to its query.
  public mutating func plan(
    query: String, resolved: ResolvedStatement, textHash: UInt64, facts: PlanFacts, from origin: EventOrigin
  ) {
    summary.note(origin.time)
    summary.otherEntries += 1
    summary.plans += 1
    var plan = facts
    plan.examplePosition = position(origin.lineNumber)
    let slot = index(for: resolved)
    let bytes = Array(query.utf8)
    bytes.withUnsafeBufferPointer { queries[slot].noteText($0, at: plan.examplePosition) }
    queries[slot].plans.add(plan)
  }

  /// The end of a file: no later record can bring parameters for its statements.
  public mutating func endFile() {
    awaitingParameters.removeAll()
    activity.endFile()
    addSteps()
    bursts.endFile()
  }

  /// Finishes every session of the bursts, and every request, for the report: the input is over.
  public mutating func finishBursts() {
    addSteps()
    bursts = bursts.finished()
    requests.finishAll()
  }

  /// What one --state run hands the next: sessions (see `SessionBursts.takeOpenSessions`), connections received
  /// and not yet authorized (process → ms), and requests whose trace may go on.
  public struct OpenState: Sendable {
    public var sessions: SessionBursts.OpenSessions
    public var connections: [Int32: Int64]
    public var requests: RequestTimes.OpenRequests

    public init(
      sessions: SessionBursts.OpenSessions = .none, connections: [Int32: Int64] = [:],
      requests: RequestTimes.OpenRequests = .none
    ) {
      self.sessions = sessions
      self.connections = connections
      self.requests = requests
    }
  }

  /// Hands what is open at the end of the run to --state.
  public mutating func takeOpenState() -> OpenState {
    addSteps()
    let connections = activity.connections.openConnections
    activity.connections.openConnections = [:]
    return OpenState(
      sessions: bursts.takeOpenSessions(), connections: connections,
      requests: requests.takeOpen(logEndMs: summary.last?.epochMs))
  }

  /// Goes on from what a previous run handed over; the first steps of processes are not kept apart then.
  public mutating func resume(_ open: OpenState) {
    bursts.keepsHeads = false
    bursts.resume(open.sessions)
    activity.connections.openConnections = open.connections
    requests.resume(open.requests)
  }

  /// Gives the pending steps to the burst detector.
  private mutating func addSteps() {
    for step in steps { bursts.add(step) }
    steps.removeAll(keepingCapacity: true)
  }

  /// Adds the aggregate of a later piece of the input. `continuing` lists the processes that piece saw from
  /// their start (see `EventClassifier.append`): their pending parameters are the later piece's now.
  public mutating func merge(_ other: StatementAggregator, continuing: Set<Int32> = []) {
    var nameMap: [Int32] = []
    nameMap.reserveCapacity(other.names.count)
    for id in 0..<other.names.count {
      nameMap.append(other.names.withBytes(Int32(id)) { names.id(of: $0) })
    }
    var queryMap: [Int] = []
    queryMap.reserveCapacity(other.queries.count)
    if queries.isEmpty && nameMap.indices.allSatisfy({ nameMap[$0] == Int32($0) }) {
      // Nothing here yet and the names are the same ids: the queries are taken as they are (shared, not copied:
      // a run's first file would otherwise be held twice while it is folded in).
      queries = other.queries
      for index in queries.indices {
        indexByFingerprint[queries[index].fingerprint] = index
        queryMap.append(index)
      }
    } else {
      for query in other.queries {
        if let index = indexByFingerprint[query.fingerprint] {
          queries[index].merge(query, names: nameMap)
          queryMap.append(index)
        } else {
          var copy = QueryStats(fingerprint: query.fingerprint, parseError: query.parseError)
          copy.merge(query, names: nameMap)
          queries.append(copy)
          indexByFingerprint[query.fingerprint] = queries.count - 1
          queryMap.append(queries.count - 1)
        }
      }
    }
    for pid in continuing { awaitingParameters.removeValue(forKey: pid) }
    for (pid, awaiting) in other.awaitingParameters {
      var moved = awaiting
      moved.query = queryMap[awaiting.query]
      awaitingParameters[pid] = moved
    }
    folded.add(other.folded)
    keepWithinBudget()
    for group in other.errorGroups { add(group) }
    // This aggregate's steps came before the later piece's.
    addSteps()
    for step in other.steps { bursts.add(step) }
    bursts.merge(other.bursts)
    summary.add(other.summary)
    timeSeries.merge(other.timeSeries)
    latency.merge(other.latency)
    activity.merge(other.activity)
    pgbouncer.merge(other.pgbouncer)
    timeByName.add(other.timeByName, names: nameMap)
    requests.merge(other.requests)
  }

  /// Finds the queries again after they moved; `moved` gives an old index's new one, nil for a query gone.
  mutating func reindexQueries(moved: (Int) -> Int?) {
    indexByFingerprint.removeAll(keepingCapacity: true)
    for index in queries.indices { indexByFingerprint[queries[index].fingerprint] = index }
    var still = IntegerTable<Int32, Awaiting>()
    for (pid, awaiting) in awaitingParameters {
      guard let index = moved(awaiting.query) else { continue }
      var kept = awaiting
      kept.query = index
      still[pid] = kept
    }
    awaitingParameters = still
  }

  /// Fills each query's normalized text from its earliest statement; call once all input is in.
  public mutating func normalizeTexts() {
    for i in queries.indices where queries[i].normalized.isEmpty {
      queries[i].normalized = QueryTags.strippingTags(from: Fingerprinter.normalize(queries[i].firstText))
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

extension StatementAggregator: Codable {
  enum CodingKeys: String, CodingKey {
    case thresholdUs = "threshold_us", names, queries, errorGroups = "error_groups", summary, bursts
    case timeSeries = "time_series", latency, activity, pgbouncer, folded, timeByName = "time_by_name", requests
  }

  /// Reads an aggregate written by `encode`.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(thresholdUs: try c.decode(Int64.self, forKey: .thresholdUs))
    for name in try c.decode([String].self, forKey: .names) {
      var bytes = Array(name.utf8)
      _ = bytes.withUnsafeMutableBufferPointer { names.id(of: UnsafeBufferPointer($0)) }
    }
    queries = try c.decode([QueryStats].self, forKey: .queries)
    for (i, query) in queries.enumerated() { indexByFingerprint[query.fingerprint] = i }
    for group in try c.decode([ErrorGroup].self, forKey: .errorGroups) { add(group) }
    summary = try c.decode(Summary.self, forKey: .summary)
    timeSeries = try c.decode(TimeSeries.self, forKey: .timeSeries)
    latency = try c.decode(LatencyHistogram.self, forKey: .latency)
    activity = try c.decode(ServerActivity.self, forKey: .activity)
    pgbouncer = try c.decode(PgBouncerActivity.self, forKey: .pgbouncer)
    bursts = try c.decodeIfPresent(SessionBursts.self, forKey: .bursts) ?? SessionBursts()
    folded = try c.decodeIfPresent(FoldedQueries.self, forKey: .folded) ?? FoldedQueries()
    timeByName = try c.decodeIfPresent(NameTimes.self, forKey: .timeByName) ?? NameTimes()
    requests = try c.decodeIfPresent(RequestTimes.self, forKey: .requests) ?? RequestTimes()
  }

  /// Writes what a finished run aggregated (pending parameters are not kept: the files are read to their end).
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(thresholdUs, forKey: .thresholdUs)
    try c.encode((0..<names.count).map { names.string(Int32($0)) }, forKey: .names)
    try c.encode(queries, forKey: .queries)
    try c.encode(errorGroups, forKey: .errorGroups)
    try c.encode(summary, forKey: .summary)
    try c.encode(timeSeries, forKey: .timeSeries)
    try c.encode(latency, forKey: .latency)
    try c.encode(activity, forKey: .activity)
    try c.encode(pgbouncer, forKey: .pgbouncer)
    try c.encode(bursts, forKey: .bursts)
    try c.encode(folded, forKey: .folded)
    try c.encode(timeByName, forKey: .timeByName)
    try c.encode(requests, forKey: .requests)
  }

  /// The same aggregate as if its files had come `files` places later on the command line.
  public mutating func shiftFiles(by files: Int) {
    for i in queries.indices { queries[i].shiftFiles(by: files) }
    for i in errorGroups.indices {
      errorGroups[i].examplePosition = errorGroups[i].examplePosition.shifted(files: files)
    }
    activity.shiftFiles(by: files)
  }
}

/// `StatementTraits.of` for texts seen lately, by their two hashes and length (as the fingerprint cache knows a
/// text): a table of slots, each text in the slot its hash names, a newer one taking the slot. A scan of the
/// text cost 670 instructions a statement (callgrind); most statements of a busy log repeat a text.
struct TraitsCache: Sendable {
  private struct Slot: Sendable {
    var hash: UInt64 = 0
    var check: UInt64 = 0
    var count = -1
    var traits = StatementTraits(kind: .other)
  }

  private static let slots = 4_096
  private var table = [Slot](repeating: Slot(), count: TraitsCache.slots)

  mutating func traits(of text: ByteView, hash: UInt64, check: UInt64) -> StatementTraits {
    let index = Int(truncatingIfNeeded: hash & UInt64(Self.slots - 1))
    return table.withUnsafeMutableBufferPointer { table in
      if table[index].count == text.count && table[index].hash == hash && table[index].check == check {
        return table[index].traits
      }
      let traits = StatementTraits.of(text)
      table[index] = Slot(hash: hash, check: check, count: text.count, traits: traits)
      return traits
    }
  }
}
