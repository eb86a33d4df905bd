// What the server did besides running statements: lock waits and deadlocks, temporary files, checkpoints,
// autovacuum and autoanalyze, connections and sessions, cancelled statements. Read from the messages
// PostgreSQL writes (in English: lc_messages = 'C' or 'en'). Like the statement statistics, everything here
// merges exactly: counts and integer sums, examples chosen by input position.
import Fingerprint
import LogInput
import ServerEvents

public struct ServerActivity: Sendable, Codable {
  /// Lock waits of one statement shape (`log_lock_waits`).
  public struct LockWaits: Sendable, Codable {
    /// `still waiting for …` messages, and the time waited when each was written (about deadlock_timeout).
    public var waits = 0
    public var waitedUs: Int64 = 0
    /// `acquired … after` messages: waits that ended, and how long they took in all.
    public var acquired = 0
    public var acquiredUs: Int64 = 0
    public var longestUs: Int64 = 0
    /// `detected deadlock while waiting`: waits that ended in a deadlock.
    public var deadlocks = 0
    /// Lock modes waited for (`ShareLock`, `AccessExclusiveLock`, …).
    public var modes: [String: Int] = [:]
    /// The first wait's process holding the lock and its statement text, for the report.
    public var example: String?
    public var holder: String?
    public var examplePosition: InputPosition = .max

    mutating func add(_ other: LockWaits) {
      waits += other.waits
      waitedUs += other.waitedUs
      acquired += other.acquired
      acquiredUs += other.acquiredUs
      longestUs = max(longestUs, other.longestUs)
      deadlocks += other.deadlocks
      for (mode, count) in other.modes { modes[mode, default: 0] += count }
      if other.examplePosition < examplePosition {
        example = other.example
        holder = other.holder
        examplePosition = other.examplePosition
      }
    }
  }

  /// One `deadlock detected` error: the processes, what each waited for, and their statements.
  public struct Deadlock: Sendable, Codable {
    public var time: LogTime?
    public var detail: String
    public var statement: String?
    public var fingerprint: Fingerprint?
    public var position: InputPosition
  }

  /// Temporary files of one statement shape (`log_temp_files`).
  public struct TempFiles: Sendable, Codable {
    public var files = 0
    public var bytes: Int64 = 0
    public var largestBytes: Int64 = 0

    mutating func add(_ other: TempFiles) {
      files += other.files
      bytes += other.bytes
      largestBytes = max(largestBytes, other.largestBytes)
    }
  }

  /// Checkpoints (`log_checkpoints`): why they started, and what the completed ones wrote and how long.
  public struct Checkpoints: Sendable, Codable {
    /// Starts by flag: `time`, `wal`, `immediate`, `force`, `wait`, `shutdown`, `end-of-recovery`, …
    public var reasons: [String: Int] = [:]
    public var started = 0
    public var completed = 0
    public var buffers: Int64 = 0
    public var writeMs: Int64 = 0
    public var syncMs: Int64 = 0
    public var totalMs: Int64 = 0
    public var longestMs: Int64 = 0
    /// `checkpoints are occurring too frequently` warnings.
    public var tooFrequent = 0

    mutating func add(_ other: Checkpoints) {
      for (reason, count) in other.reasons { reasons[reason, default: 0] += count }
      started += other.started
      completed += other.completed
      buffers += other.buffers
      writeMs += other.writeMs
      syncMs += other.syncMs
      totalMs += other.totalMs
      longestMs = max(longestMs, other.longestMs)
      tooFrequent += other.tooFrequent
    }
  }

  /// Automatic vacuums or analyzes of one table.
  public struct Maintenance: Sendable, Codable {
    public var runs = 0
    public var elapsedMs: Int64 = 0
    public var longestMs: Int64 = 0
    public var tuplesRemoved: Int64 = 0

    mutating func add(_ other: Maintenance) {
      runs += other.runs
      elapsedMs += other.elapsedMs
      longestMs = max(longestMs, other.longestMs)
      tuplesRemoved += other.tuplesRemoved
    }
  }

  /// Connections and sessions (`log_connections`, `log_disconnections`).
  public struct Connections: Sendable, Codable {
    public var received = 0
    public var authorized = 0
    public var disconnections = 0
    /// FATAL authentication failures (bad password, no pg_hba.conf entry, …).
    public var authenticationFailures = 0
    public var byDatabase: [String: Int] = [:]
    public var byUser: [String: Int] = [:]
    public var byApplication: [String: Int] = [:]
    public var byHost: [String: Int] = [:]
    /// Connections received over time, for the peak and mean rate.
    public var arrivals = CallCounts()
    /// Session lengths from `disconnection: session time:`.
    public var sessionTimes = LatencyHistogram()
    public var sessionMs: Int64 = 0
    public var sessionsUnderOneSecond = 0
    /// Time from `connection received` to `connection authorized` of the same process, summed over the
    /// connections that logged both: what connecting cost, measured. Meaningful with millisecond times.
    public var connectMs: Int64 = 0
    public var connectsTimed = 0
    /// Whether any of those times had milliseconds (`%m`, `%n`, csvlog, jsonlog), not whole seconds (`%t`).
    public var connectTimesHaveMilliseconds = false
    /// Received, not yet authorized, by process: the start of a pair the next piece of the log may end.
    var openReceived: [Int32: Int64] = [:]
    /// Authorized before any `connection received` of the process in this piece: the end of a pair an
    /// earlier piece started.
    var earlyAuthorized: [Int32: Int64] = [:]

    mutating func noteReceived(pid: Int32, at ms: Int64) { openReceived[pid] = ms }

    mutating func noteAuthorized(pid: Int32, at ms: Int64) {
      if let received = openReceived.removeValue(forKey: pid) {
        time(connect: ms - received, received, ms)
      } else if earlyAuthorized[pid] == nil {
        earlyAuthorized[pid] = ms
      }
    }

    private mutating func time(connect ms: Int64, _ a: Int64, _ b: Int64) {
      connectMs += max(0, ms)
      connectsTimed += 1
      if a % 1000 != 0 || b % 1000 != 0 { connectTimesHaveMilliseconds = true }
    }

    mutating func add(_ other: Connections) {
      let nothingBefore = received == 0 && authorized == 0 && openReceived.isEmpty && earlyAuthorized.isEmpty
      received += other.received
      authorized += other.authorized
      disconnections += other.disconnections
      authenticationFailures += other.authenticationFailures
      for (k, v) in other.byDatabase { byDatabase[k, default: 0] += v }
      for (k, v) in other.byUser { byUser[k, default: 0] += v }
      for (k, v) in other.byApplication { byApplication[k, default: 0] += v }
      for (k, v) in other.byHost { byHost[k, default: 0] += v }
      arrivals.merge(other.arrivals)
      sessionTimes.merge(other.sessionTimes)
      sessionMs += other.sessionMs
      sessionsUnderOneSecond += other.sessionsUnderOneSecond
      // The later piece's first authorizations end the pairs this side left open.
      for (pid, authorized) in other.earlyAuthorized.sorted(by: { $0.key < $1.key }) {
        if let received = openReceived[pid], (0...Self.authenticationMs).contains(authorized - received) {
          openReceived.removeValue(forKey: pid)
          time(connect: authorized - received, received, authorized)
        } else if nothingBefore {
          // Still the start of the whole: a part saved from it may follow another that began the pair.
          earlyAuthorized[pid] = authorized
        }
      }
      connectMs += other.connectMs
      connectsTimed += other.connectsTimed
      connectTimesHaveMilliseconds = connectTimesHaveMilliseconds || other.connectTimesHaveMilliseconds
      for (pid, received) in other.openReceived { openReceived[pid] = received }
    }

    /// Connections received and not yet authorized at the end of a run, for --state to hand to the next.
    public var openConnections: [Int32: Int64] {
      get { openReceived }
      set { openReceived = newValue }
    }

    /// How long after `connection received` its `connection authorized` may come (authentication_timeout's
    /// default and most): the pairs a file leaves open are ended by the next file (rotation) within it.
    static let authenticationMs: Int64 = 60_000

    /// The end of a file: pairs still open may end in the next one, unless they are older than any
    /// authentication may take.
    mutating func endFile() {
      guard let latest = openReceived.values.max() else { return }
      openReceived = openReceived.filter { latest - $0.value <= Self.authenticationMs }
    }
  }

  /// By the fingerprint of the statement they came with, nil for waits and files logged without it.
  @ByStatement public var lockWaits: [Fingerprint?: LockWaits] = [:]
  public var deadlocks: [Deadlock] = []
  public static let deadlocksKept = 50
  public var deadlockCount = 0
  @ByStatement public var tempFiles: [Fingerprint?: TempFiles] = [:]
  public var checkpoints = Checkpoints()
  /// By table, as the server names it (`database.schema.table`).
  public var autovacuums: [String: Maintenance] = [:]
  public var autoanalyzes: [String: Maintenance] = [:]
  public var connections = Connections()
  /// Statements cancelled, by reason: `statement timeout`, `user request`, `lock timeout`, …
  public var cancellations: [String: Int] = [:]

  public init() {}

  // MARK: - Reading messages

  /// A LOG message that came with its secondary records; `fingerprint` is its STATEMENT's.
  mutating func record(message m: ServerMessage, fingerprint: Fingerprint?, position: InputPosition) {
    let key = fingerprint
    switch MessageKind(m) {
    case .temporaryFile(let size):
      var files = TempFiles(files: 1, bytes: size, largestBytes: size)
      files.add(tempFiles[key] ?? TempFiles())
      tempFiles[key] = files
    case .lockWaiting(let mode, let after):
      var waits = LockWaits(waits: 1, waitedUs: after, example: m.statement, holder: m.detail)
      waits.examplePosition = position
      addLockWaits(waits, mode: mode, key: key)
    case .lockAcquired(let mode, let after):
      addLockWaits(LockWaits(acquired: 1, acquiredUs: after, longestUs: after), mode: mode, key: key)
    case .deadlockWhileWaiting(let mode): addLockWaits(LockWaits(deadlocks: 1), mode: mode, key: key)
    case .checkpointsTooFrequent: checkpoints.tooFrequent += 1
    case .deadlock, .cancelled, .authenticationFailure, .other: break
    }
  }

  private mutating func addLockWaits(_ waits: LockWaits, mode: String, key: Fingerprint?) {
    var waits = waits
    waits.modes[mode] = 1
    waits.add(lockWaits[key] ?? LockWaits())
    lockWaits[key] = waits
  }

  /// An ERROR, FATAL or PANIC: deadlocks, cancellations, authentication failures.
  mutating func record(error m: ServerMessage, fingerprint: Fingerprint?, position: InputPosition) {
    switch MessageKind(m) {
    case .deadlock:
      deadlockCount += 1
      deadlocks.append(
        Deadlock(
          time: m.time, detail: m.detail ?? "", statement: m.statement, fingerprint: fingerprint, position: position))
      keepEarliestDeadlocks()
    case .cancelled(let reason): cancellations[reason, default: 0] += 1
    case .authenticationFailure: connections.authenticationFailures += 1
    default: break
    }
  }

  /// The server's other activity: connections and sessions, checkpoints, autovacuum and autoanalyze.
  mutating func record(_ event: ActivityEvent, from origin: EventOrigin) {
    switch event {
    case .connectionReceived(let host):
      connections.received += 1
      if let time = origin.time {
        connections.arrivals.record(at: time)
        connections.noteReceived(pid: origin.pid, at: time.epochMs)
      }
      connections.byHost[host, default: 0] += 1
    case .connectionAuthorized(let user, let database, let application):
      connections.authorized += 1
      if let time = origin.time { connections.noteAuthorized(pid: origin.pid, at: time.epochMs) }
      if let database { connections.byDatabase[database, default: 0] += 1 }
      connections.byUser[user, default: 0] += 1
      connections.byApplication[application, default: 0] += 1
    case .checkpointStarting(let flags):
      checkpoints.started += 1
      for flag in flags { checkpoints.reasons[flag, default: 0] += 1 }
    case .checkpointComplete(let buffers, let writeMs, let syncMs, let totalMs):
      checkpoints.completed += 1
      checkpoints.buffers += buffers
      checkpoints.writeMs += writeMs
      checkpoints.syncMs += syncMs
      checkpoints.totalMs += totalMs
      checkpoints.longestMs = max(checkpoints.longestMs, totalMs)
    case .disconnection(let sessionMs):
      connections.disconnections += 1
      if let ms = sessionMs {
        connections.sessionMs += ms
        connections.sessionTimes.record(ms * 1000)
        if ms < 1000 { connections.sessionsUnderOneSecond += 1 }
      }
    case .autovacuum(let table, let elapsed, let tuplesRemoved):
      var run = Maintenance(runs: 1, elapsedMs: elapsed, longestMs: elapsed, tuplesRemoved: tuplesRemoved)
      run.add(autovacuums[table] ?? Maintenance())
      autovacuums[table] = run
    case .autoanalyze(let table, let elapsed):
      var run = Maintenance(runs: 1, elapsedMs: elapsed, longestMs: elapsed)
      run.add(autoanalyzes[table] ?? Maintenance())
      autoanalyzes[table] = run
    case .plan, .bareDuration, .localizedDuration, .pgbouncer, .other: break
    }
  }

  private mutating func keepEarliestDeadlocks() {
    guard deadlocks.count > Self.deadlocksKept else { return }
    deadlocks.sort { $0.position < $1.position }
    deadlocks.removeLast(deadlocks.count - Self.deadlocksKept)
  }

  /// Adds another piece's activity.
  /// The end of a file: what pairs across lines of one file is over.
  mutating func endFile() { connections.endFile() }

  mutating func merge(_ other: ServerActivity) {
    for (key, waits) in other.lockWaits { lockWaits[key, default: LockWaits()].add(waits) }
    deadlocks += other.deadlocks
    deadlocks.sort { $0.position < $1.position }
    deadlockCount += other.deadlockCount
    keepEarliestDeadlocks()
    for (key, files) in other.tempFiles { tempFiles[key, default: TempFiles()].add(files) }
    checkpoints.add(other.checkpoints)
    for (table, run) in other.autovacuums { autovacuums[table, default: Maintenance()].add(run) }
    for (table, run) in other.autoanalyzes { autoanalyzes[table, default: Maintenance()].add(run) }
    connections.add(other.connections)
    for (reason, count) in other.cancellations { cancellations[reason, default: 0] += count }
  }

  mutating func shiftFiles(by files: Int) {
    for key in lockWaits.keys {
      lockWaits[key]!.examplePosition = lockWaits[key]!.examplePosition.shifted(files: files)
    }
    for i in deadlocks.indices { deadlocks[i].position = deadlocks[i].position.shifted(files: files) }
  }
}
