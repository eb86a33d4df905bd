// The server's own events in the report: lock waits, deadlocks, temporary files, checkpoints, autovacuum and
// autoanalyze, connections and sessions, cancelled statements (schema version 3).
import LogReading
import NullCoding

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
  @WritesNull public var pgbouncer: PgBouncerReport? = nil

  enum CodingKeys: String, CodingKey {
    case lockWaits = "lock_waits", deadlocks, tempFiles = "temp_files", checkpoints, autovacuum, autoanalyze
    case connections, cancellations, pgbouncer
  }

}

/// Lock waits of one statement fingerprint (null: logged without a statement).
public struct LockWaitReport: Codable, Sendable {
  @WritesNull public var fingerprint: String? = nil
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
  @WritesNull public var exampleStatement: String? = nil
  /// The first wait's DETAIL: the process holding the lock and the wait queue.
  @WritesNull public var holder: String? = nil

  enum CodingKeys: String, CodingKey {
    case fingerprint, waits, waitedMs = "waited_ms", acquired, acquiredMs = "acquired_ms", longestMs = "longest_ms"
    case deadlocks, modes, exampleStatement = "example_statement", holder
  }

}

public struct DeadlocksReport: Codable, Sendable {
  public var count: Int
  /// The earliest ones (at most 50): both processes' waits and statements, from the error's DETAIL.
  public var examples: [DeadlockReport]
}

public struct DeadlockReport: Codable, Sendable {
  @WritesNull public var time: String? = nil
  public var detail: String
  @WritesNull public var statement: String? = nil
  @WritesNull public var fingerprint: String? = nil

  enum CodingKeys: String, CodingKey { case time, detail, statement, fingerprint }
}

/// Temporary files of one statement fingerprint (null: logged without a statement).
public struct TempFileReport: Codable, Sendable {
  @WritesNull public var fingerprint: String? = nil
  public var files: Int
  public var bytes: Int64
  public var largestBytes: Int64
  /// Set when the files are large enough that work_mem is worth a look.
  @WritesNull public var hint: String? = nil

  enum CodingKeys: String, CodingKey { case fingerprint, files, bytes, largestBytes = "largest_bytes", hint }

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
  @WritesNull public var meanSessionMs: Double? = nil
  public var sessionsUnderOneSecond: Int
  public var sessionHistogram: [HistogramBucket]
  /// Time the short sessions spent connecting, at about 20 ms per new connection: what a pooler would save.
  public var estimatedConnectMs: Double
  /// Time from `connection received` to `connection authorized`, summed over the connections that logged both
  /// with millisecond times (null with `%t`, whose whole seconds cannot measure it), and how many did.
  @WritesNull public var measuredConnectMs: Double? = nil
  @WritesNull public var timedConnections: Int? = nil

  enum CodingKeys: String, CodingKey {
    case received, authorized, disconnections, authenticationFailures = "authentication_failures"
    case peakPerSecond = "peak_per_second", meanPerSecond = "mean_per_second", byDatabase = "by_database"
    case byUser = "by_user", byApplication = "by_application", byHost = "by_host"
    case meanSessionMs = "mean_session_ms", sessionsUnderOneSecond = "sessions_under_1s"
    case sessionHistogram = "session_histogram", estimatedConnectMs = "estimated_connect_ms"
    case measuredConnectMs = "measured_connect_ms", timedConnections = "timed_connections"
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
  @WritesNull public var meanXactUs: Double? = nil
  @WritesNull public var meanQueryUs: Double? = nil
  /// How long clients waited for a server connection: the pool is too small when this grows.
  @WritesNull public var meanWaitUs: Double? = nil
  public var longestWaitUs: Int64

  enum CodingKeys: String, CodingKey {
    case lines, logins, loginFailures = "login_failures", serverConnections = "server_connections"
    case peakLoginsPerSecond = "peak_logins_per_second", meanLoginsPerSecond = "mean_logins_per_second"
    case closes, problems, statsPeriods = "stats_periods", meanXactsPerSecond = "mean_xacts_per_second"
    case peakXactsPerSecond = "peak_xacts_per_second", meanQueriesPerSecond = "mean_queries_per_second"
    case peakQueriesPerSecond = "peak_queries_per_second", meanXactUs = "mean_xact_us", meanQueryUs = "mean_query_us"
    case meanWaitUs = "mean_wait_us", longestWaitUs = "longest_wait_us"
  }

}
