// The server's own events in the report: lock waits, deadlocks, temporary files, checkpoints, autovacuum and
// autoanalyze, connections and sessions, cancelled statements (schema version 3).
import LogReading

public struct EventsReport: Codable, Sendable {
  public var lockWaits: [LockWaitReport]
  public var deadlocks: DeadlocksReport
  public var tempFiles: [TempFileReport]
  public var checkpoints: CheckpointReport
  public var autovacuum: [MaintenanceReport]
  public var autoanalyze: [MaintenanceReport]
  public var connections: ConnectionReport
  /// Statements cancelled, by reason (`statement timeout`, `user request`, `lock timeout`, …).
  public var cancellations: [NameCount]
  /// PgBouncer's log, when one was read.
  public var pgbouncer: PgBouncerReport?

  enum CodingKeys: String, CodingKey {
    case lockWaits = "lock_waits", deadlocks, tempFiles = "temp_files", checkpoints, autovacuum, autoanalyze
    case connections, cancellations, pgbouncer
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(lockWaits, forKey: .lockWaits)
    try c.encode(deadlocks, forKey: .deadlocks)
    try c.encode(tempFiles, forKey: .tempFiles)
    try c.encode(checkpoints, forKey: .checkpoints)
    try c.encode(autovacuum, forKey: .autovacuum)
    try c.encode(autoanalyze, forKey: .autoanalyze)
    try c.encode(connections, forKey: .connections)
    try c.encode(cancellations, forKey: .cancellations)
    try c.encode(pgbouncer, forKey: .pgbouncer)
  }
}

/// Lock waits of one statement fingerprint (null: logged without a statement).
public struct LockWaitReport: Codable, Sendable {
  public var fingerprint: String?
  /// `still waiting` messages, and the time waited when each was written.
  public var waits: Int
  public var waitedMs: Double
  /// Waits that ended (`acquired … after`), their total and longest time.
  public var acquired: Int
  public var acquiredMs: Double
  public var longestMs: Double
  /// Waits that ended in a deadlock.
  public var deadlocks: Int
  public var modes: [NameCount]
  public var exampleStatement: String?
  /// The first wait's DETAIL: the process holding the lock and the wait queue.
  public var holder: String?

  enum CodingKeys: String, CodingKey {
    case fingerprint, waits, waitedMs = "waited_ms", acquired, acquiredMs = "acquired_ms", longestMs = "longest_ms"
    case deadlocks, modes, exampleStatement = "example_statement", holder
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(fingerprint, forKey: .fingerprint)
    try c.encode(waits, forKey: .waits)
    try c.encode(waitedMs, forKey: .waitedMs)
    try c.encode(acquired, forKey: .acquired)
    try c.encode(acquiredMs, forKey: .acquiredMs)
    try c.encode(longestMs, forKey: .longestMs)
    try c.encode(deadlocks, forKey: .deadlocks)
    try c.encode(modes, forKey: .modes)
    try c.encode(exampleStatement, forKey: .exampleStatement)
    try c.encode(holder, forKey: .holder)
  }
}

public struct DeadlocksReport: Codable, Sendable {
  public var count: Int
  /// The earliest ones (at most 50): both processes' waits and statements, from the error's DETAIL.
  public var examples: [DeadlockReport]
}

public struct DeadlockReport: Codable, Sendable {
  public var time: String?
  public var detail: String
  public var statement: String?
  public var fingerprint: String?

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(time, forKey: .time)
    try c.encode(detail, forKey: .detail)
    try c.encode(statement, forKey: .statement)
    try c.encode(fingerprint, forKey: .fingerprint)
  }

  enum CodingKeys: String, CodingKey { case time, detail, statement, fingerprint }
}

/// Temporary files of one statement fingerprint (null: logged without a statement).
public struct TempFileReport: Codable, Sendable {
  public var fingerprint: String?
  public var files: Int
  public var bytes: Int64
  public var largestBytes: Int64
  /// Set when the files are large enough that work_mem is worth a look.
  public var hint: String?

  enum CodingKeys: String, CodingKey { case fingerprint, files, bytes, largestBytes = "largest_bytes", hint }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(fingerprint, forKey: .fingerprint)
    try c.encode(files, forKey: .files)
    try c.encode(bytes, forKey: .bytes)
    try c.encode(largestBytes, forKey: .largestBytes)
    try c.encode(hint, forKey: .hint)
  }
}

public struct CheckpointReport: Codable, Sendable {
  public var started: Int
  public var completed: Int
  /// Starts by flag (`time`, `wal`, `immediate`, `force`, `wait`, `shutdown`, …).
  public var reasons: [NameCount]
  public var buffersWritten: Int64
  public var writeMs: Double
  public var syncMs: Double
  public var totalMs: Double
  public var longestMs: Double
  /// `checkpoints are occurring too frequently` warnings.
  public var tooFrequentWarnings: Int

  enum CodingKeys: String, CodingKey {
    case started, completed, reasons, buffersWritten = "buffers_written", writeMs = "write_ms", syncMs = "sync_ms"
    case totalMs = "total_ms", longestMs = "longest_ms", tooFrequentWarnings = "too_frequent_warnings"
  }
}

/// Automatic vacuums or analyzes of one table.
public struct MaintenanceReport: Codable, Sendable {
  public var table: String
  public var runs: Int
  public var elapsedMs: Double
  public var longestMs: Double
  /// Dead tuples removed (vacuum only; 0 for analyze).
  public var tuplesRemoved: Int64

  enum CodingKeys: String, CodingKey {
    case table, runs, elapsedMs = "elapsed_ms", longestMs = "longest_ms", tuplesRemoved = "tuples_removed"
  }
}

public struct ConnectionReport: Codable, Sendable {
  public var received: Int
  public var authorized: Int
  public var disconnections: Int
  public var authenticationFailures: Int
  /// Connections received per second: the busiest interval of the series, and over the whole log.
  public var peakPerSecond: Double
  public var meanPerSecond: Double
  public var byDatabase: [NameCount]
  public var byUser: [NameCount]
  public var byApplication: [NameCount]
  public var byHost: [NameCount]
  /// Session lengths from the disconnections.
  public var meanSessionMs: Double?
  public var sessionsUnderOneSecond: Int
  public var sessionHistogram: [HistogramBucket]
  /// Time the short sessions spent connecting, at about 20 ms per new connection: what a pooler would save.
  public var estimatedConnectMs: Double
  /// Time from `connection received` to `connection authorized`, summed over the connections that logged both
  /// with millisecond times (null with `%t`, whose whole seconds cannot measure it), and how many did.
  public var measuredConnectMs: Double? = nil
  public var timedConnections: Int? = nil

  enum CodingKeys: String, CodingKey {
    case received, authorized, disconnections, authenticationFailures = "authentication_failures"
    case peakPerSecond = "peak_per_second", meanPerSecond = "mean_per_second", byDatabase = "by_database"
    case byUser = "by_user", byApplication = "by_application", byHost = "by_host"
    case meanSessionMs = "mean_session_ms", sessionsUnderOneSecond = "sessions_under_1s"
    case sessionHistogram = "session_histogram", estimatedConnectMs = "estimated_connect_ms"
    case measuredConnectMs = "measured_connect_ms", timedConnections = "timed_connections"
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(received, forKey: .received)
    try c.encode(authorized, forKey: .authorized)
    try c.encode(disconnections, forKey: .disconnections)
    try c.encode(authenticationFailures, forKey: .authenticationFailures)
    try c.encode(peakPerSecond, forKey: .peakPerSecond)
    try c.encode(meanPerSecond, forKey: .meanPerSecond)
    try c.encode(byDatabase, forKey: .byDatabase)
    try c.encode(byUser, forKey: .byUser)
    try c.encode(byApplication, forKey: .byApplication)
    try c.encode(byHost, forKey: .byHost)
    try c.encode(meanSessionMs, forKey: .meanSessionMs)
    try c.encode(sessionsUnderOneSecond, forKey: .sessionsUnderOneSecond)
    try c.encode(sessionHistogram, forKey: .sessionHistogram)
    try c.encode(estimatedConnectMs, forKey: .estimatedConnectMs)
    try c.encode(measuredConnectMs, forKey: .measuredConnectMs)
    try c.encode(timedConnections, forKey: .timedConnections)
  }
}

/// PgBouncer's own log (null when no PgBouncer log was read).
public struct PgBouncerReport: Codable, Sendable {
  public var lines: Int
  public var logins: Int
  public var loginFailures: Int
  public var serverConnections: Int
  /// Client logins per second: the busiest interval of the series, and over the whole log.
  public var peakLoginsPerSecond: Double
  public var meanLoginsPerSecond: Double
  /// Why clients were closed, numbers folded.
  public var closes: [NameCount]
  /// WARNING, ERROR and FATAL messages, numbers folded.
  public var problems: [NameCount]
  /// From the `stats:` lines (every stats_period): means over the periods, averages weighted by transactions.
  public var statsPeriods: Int
  public var meanXactsPerSecond: Double
  public var peakXactsPerSecond: Int64
  public var meanQueriesPerSecond: Double
  public var peakQueriesPerSecond: Int64
  public var meanXactUs: Double?
  public var meanQueryUs: Double?
  /// How long clients waited for a server connection: the pool is too small when this grows.
  public var meanWaitUs: Double?
  public var longestWaitUs: Int64

  enum CodingKeys: String, CodingKey {
    case lines, logins, loginFailures = "login_failures", serverConnections = "server_connections"
    case peakLoginsPerSecond = "peak_logins_per_second", meanLoginsPerSecond = "mean_logins_per_second"
    case closes, problems, statsPeriods = "stats_periods", meanXactsPerSecond = "mean_xacts_per_second"
    case peakXactsPerSecond = "peak_xacts_per_second", meanQueriesPerSecond = "mean_queries_per_second"
    case peakQueriesPerSecond = "peak_queries_per_second", meanXactUs = "mean_xact_us", meanQueryUs = "mean_query_us"
    case meanWaitUs = "mean_wait_us", longestWaitUs = "longest_wait_us"
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(lines, forKey: .lines)
    try c.encode(logins, forKey: .logins)
    try c.encode(loginFailures, forKey: .loginFailures)
    try c.encode(serverConnections, forKey: .serverConnections)
    try c.encode(peakLoginsPerSecond, forKey: .peakLoginsPerSecond)
    try c.encode(meanLoginsPerSecond, forKey: .meanLoginsPerSecond)
    try c.encode(closes, forKey: .closes)
    try c.encode(problems, forKey: .problems)
    try c.encode(statsPeriods, forKey: .statsPeriods)
    try c.encode(meanXactsPerSecond, forKey: .meanXactsPerSecond)
    try c.encode(peakXactsPerSecond, forKey: .peakXactsPerSecond)
    try c.encode(meanQueriesPerSecond, forKey: .meanQueriesPerSecond)
    try c.encode(peakQueriesPerSecond, forKey: .peakQueriesPerSecond)
    try c.encode(meanXactUs, forKey: .meanXactUs)
    try c.encode(meanQueryUs, forKey: .meanQueryUs)
    try c.encode(meanWaitUs, forKey: .meanWaitUs)
    try c.encode(longestWaitUs, forKey: .longestWaitUs)
  }
}
