// The report as data: what the JSON output is (see docs/json-schema.md), and what the text output shows.
// Field names are the JSON names; durations are milliseconds and say so.
import LogReading
import NullCoding

public struct AnalysisReport: Codable, Sendable {
  /// Bumped whenever a field changes meaning or is removed; adding fields does not bump it.
  public static let currentSchemaVersion = 3

  public var schemaVersion = AnalysisReport.currentSchemaVersion
  public var generator: String
  public var thresholdMs: Double
  public var input: InputSummary
  public var summary: Summary
  public var queries: [Query]
  public var errors: [ErrorGroupReport]
  /// Candidate indexes, most slow time served first (schema version 2).
  public var indexSuggestions: [IndexSuggestionReport]
  /// Suggestions a live database (--dsn) checked and rejected: the cost fell by less than half.
  public var rejectedIndexSuggestions: [IndexSuggestionReport]
  /// Predicates in slow queries that no btree index can serve as written (schema version 2).
  public var unusablePredicates: [UnusablePredicateReport]
  /// How the write-cost figures were counted, and their limits.
  public var writeCountNote: String
  /// Statements, slow statements, p95 and errors per interval.
  public var timeSeries: TimeSeriesReport?
  /// Every timed statement's duration, in logarithmic buckets (non-empty ones).
  public var latencyHistogram: [HistogramBucket]?
  /// Lock waits, deadlocks, temporary files, checkpoints, autovacuum, connections, cancellations (version 3).
  public var events: EventsReport?
  /// The patterns an ORM's code causes, with the fix in its terms (version 3).
  public var appAdvice: [AppAdviceReport]?
  /// The workload by kind of statement (SELECT, INSERT, …, DDL, transaction control, other), most time first.
  public var statementTypes: [StatementTypeReport]?
  /// The workload by the endpoint (view, controller action, job, route) the statements' tags name, most time
  /// first; null when no statement carried tags.
  @WritesNull public var endpoints: [EndpointReport]? = nil
  /// Timed calls and time by database, user, application and client host, most time first.
  @WritesNull public var timeBy: TimeByReport? = nil
  /// Requests (the statements of one traceparent's trace id) whose tags name no endpoint; null when there is
  /// none.
  @WritesNull public var requestsWithoutEndpoint: RequestsReport? = nil
  /// The time series in rows of a round interval (at most about 24, or the --interval asked for), for a table.
  @WritesNull public var intervals: IntervalTableReport? = nil
  /// The zone the report's times are shown in (`--timezone`): `UTC`, an IANA zone, or an offset.
  public var timeZone: String?
  /// Whether --redact left the literal values out (reports of older versions: nil).
  public var isRedacted: Bool?
  /// `table.column`s the index advisor took for primary keys by ORM convention (`id`, `<table>_id`), no schema
  /// giving the table, leaving a suggestion on them out.
  public var assumedPrimaryKeys: [String]?

  enum CodingKeys: String, CodingKey {
    case schemaVersion = "schema_version", generator, thresholdMs = "threshold_ms", input, summary, queries, errors
    case events, appAdvice = "app_advice", statementTypes = "statement_types", endpoints, timeBy = "time_by"
    case intervals, timeZone = "time_zone", requestsWithoutEndpoint = "requests_without_endpoint", isRedacted =
      "redacted"
    case assumedPrimaryKeys = "assumed_primary_keys"
    case indexSuggestions = "index_suggestions", rejectedIndexSuggestions = "rejected_index_suggestions"
    case unusablePredicates = "unusable_predicates"
    case writeCountNote = "write_count_note", timeSeries = "time_series", latencyHistogram = "latency_histogram"
  }
}

/// One kind of statement in the workload: its executions and their time, summed over its fingerprints.
public struct StatementTypeReport: Codable, Sendable, Equatable {
  /// `SELECT`, `INSERT`, `UPDATE`, `DELETE`, `COPY`, `DDL`, `transaction control`, `other`, or `folded` for the
  /// executions --max-fingerprints folded (their kinds are not kept).
  public var type: String
  public var fingerprints: Int
  public var calls: Int
  public var slowCalls: Int
  public var untimedCalls: Int
  public var totalMs: Double

  public init(type: String, fingerprints: Int, calls: Int, slowCalls: Int, untimedCalls: Int, totalMs: Double) {
    self.type = type
    self.fingerprints = fingerprints
    self.calls = calls
    self.slowCalls = slowCalls
    self.untimedCalls = untimedCalls
    self.totalMs = totalMs
  }

  enum CodingKeys: String, CodingKey {
    case type, fingerprints, calls, slowCalls = "slow_calls", untimedCalls = "untimed_calls", totalMs = "total_ms"
  }
}

public struct InputSummary: Codable, Sendable {
  public var files: [FileSummary]
  public var lines: Int
  public var entries: Int
  public var skippedLines: Int
  public var format: String
  /// Problems by kind (`unrecognized_line`, `corrupt_compression`, ...), each counted in full.
  public var problems: [String: Int]
  /// What --database, --user, --application, --host, their --exclude- forms and --include-query /
  /// --exclude-query kept and left out; nil when no filter was given.
  @WritesNull public var filters: String? = nil

  public init(
    files: [FileSummary], lines: Int, entries: Int, skippedLines: Int, format: String, problems: [String: Int],
    filters: String? = nil
  ) {
    self.files = files
    self.lines = lines
    self.entries = entries
    self.skippedLines = skippedLines
    self.format = format
    self.problems = problems
    self.filters = filters
  }

  enum CodingKeys: String, CodingKey {
    case files, lines, entries, skippedLines = "skipped_lines", format, problems, filters
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    files = try c.decode([FileSummary].self, forKey: .files)
    lines = try c.decode(Int.self, forKey: .lines)
    entries = try c.decode(Int.self, forKey: .entries)
    skippedLines = try c.decode(Int.self, forKey: .skippedLines)
    format = try c.decode(String.self, forKey: .format)
    problems = try c.decode([String: Int].self, forKey: .problems)
    filters = try c.decodeIfPresent(String.self, forKey: .filters)
  }

}

/// The least used fingerprints, folded into one line once there were more than --max-fingerprints.
public struct FoldedReport: Codable, Sendable, Equatable {
  /// Fingerprint entries folded (one folded, seen again and folded again counts twice).
  public var fingerprints: Int
  public var calls: Int
  public var slowCalls: Int
  public var untimedCalls: Int
  public var totalMs: Double
  public var slowMs: Double
  public var maxMs: Double
  @WritesNull public var p50Ms: Double? = nil
  @WritesNull public var p95Ms: Double? = nil
  /// The --max-fingerprints the run kept apart.
  @WritesNull public var budget: Int? = nil

  public init(
    fingerprints: Int, calls: Int, slowCalls: Int, untimedCalls: Int, totalMs: Double, slowMs: Double,
    maxMs: Double, p50Ms: Double?, p95Ms: Double?, budget: Int?
  ) {
    self.fingerprints = fingerprints
    self.calls = calls
    self.slowCalls = slowCalls
    self.untimedCalls = untimedCalls
    self.totalMs = totalMs
    self.slowMs = slowMs
    self.maxMs = maxMs
    self.p50Ms = p50Ms
    self.p95Ms = p95Ms
    self.budget = budget
  }

  enum CodingKeys: String, CodingKey {
    case fingerprints, calls, slowCalls = "slow_calls", untimedCalls = "untimed_calls", totalMs = "total_ms"
    case slowMs = "slow_ms", maxMs = "max_ms", p50Ms = "p50_ms", p95Ms = "p95_ms", budget
  }

}

public struct Summary: Codable, Sendable {
  public var statements: Int
  public var slowStatements: Int
  public var totalMs: Double
  public var fingerprints: Int
  public var untimedStatements: Int
  public var prepareSteps: Int
  public var bareDurations: Int
  public var errors: Int
  /// Fingerprints libpg_query could not parse (their ids come from the lexer).
  public var unparsedFingerprints: Int
  @WritesNull public var first: String? = nil
  @WritesNull public var last: String? = nil
  /// Server events (schema version 3; 0 when reading an older report).
  public var lockWaits = 0
  public var deadlocks = 0
  public var tempFiles = 0
  public var tempBytes: Int64 = 0
  public var checkpoints = 0
  public var autovacuums = 0
  public var autoanalyzes = 0
  public var connections = 0
  public var disconnections = 0
  public var cancelledStatements = 0
  /// The executions of the fingerprints --max-fingerprints folded; nil when none was.
  @WritesNull public var folded: FoldedReport? = nil
  /// Executions --include-query / --exclude-query left out.
  public var filteredStatements = 0

  public init(
    statements: Int, slowStatements: Int, totalMs: Double, fingerprints: Int, untimedStatements: Int,
    prepareSteps: Int, bareDurations: Int, errors: Int, unparsedFingerprints: Int, first: String?, last: String?
  ) {
    self.statements = statements
    self.slowStatements = slowStatements
    self.totalMs = totalMs
    self.fingerprints = fingerprints
    self.untimedStatements = untimedStatements
    self.prepareSteps = prepareSteps
    self.bareDurations = bareDurations
    self.errors = errors
    self.unparsedFingerprints = unparsedFingerprints
    self.first = first
    self.last = last
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    statements = try c.decode(Int.self, forKey: .statements)
    slowStatements = try c.decode(Int.self, forKey: .slowStatements)
    totalMs = try c.decode(Double.self, forKey: .totalMs)
    fingerprints = try c.decode(Int.self, forKey: .fingerprints)
    untimedStatements = try c.decode(Int.self, forKey: .untimedStatements)
    prepareSteps = try c.decode(Int.self, forKey: .prepareSteps)
    bareDurations = try c.decode(Int.self, forKey: .bareDurations)
    errors = try c.decode(Int.self, forKey: .errors)
    unparsedFingerprints = try c.decode(Int.self, forKey: .unparsedFingerprints)
    first = try c.decodeIfPresent(String.self, forKey: .first)
    last = try c.decodeIfPresent(String.self, forKey: .last)
    func count(_ key: CodingKeys) throws -> Int { try c.decodeIfPresent(Int.self, forKey: key) ?? 0 }
    lockWaits = try count(.lockWaits)
    deadlocks = try count(.deadlocks)
    tempFiles = try count(.tempFiles)
    tempBytes = try c.decodeIfPresent(Int64.self, forKey: .tempBytes) ?? 0
    checkpoints = try count(.checkpoints)
    autovacuums = try count(.autovacuums)
    autoanalyzes = try count(.autoanalyzes)
    connections = try count(.connections)
    disconnections = try count(.disconnections)
    cancelledStatements = try count(.cancelledStatements)
    folded = try c.decodeIfPresent(FoldedReport.self, forKey: .folded)
    filteredStatements = try count(.filteredStatements)
  }

  enum CodingKeys: String, CodingKey {
    case statements, slowStatements = "slow_statements", totalMs = "total_ms", fingerprints
    case untimedStatements = "untimed_statements", prepareSteps = "prepare_steps", bareDurations = "bare_durations"
    case errors, unparsedFingerprints = "unparsed_fingerprints", first, last
    case lockWaits = "lock_waits", deadlocks, tempFiles = "temp_files", tempBytes = "temp_bytes", checkpoints
    case autovacuums, autoanalyzes, connections, disconnections, cancelledStatements = "cancelled_statements"
    case folded, filteredStatements = "filtered_statements"
  }
}

extension Array where Element == NameCount {
  /// The first `limit` as `name count, …`, an empty name shown as `(none)`.
  public func listed(_ limit: Int) -> String {
    prefix(limit).map { "\($0.name.isEmpty ? "(none)" : $0.name) \(ReportBuilder.grouped($0.calls))" }
      .joined(separator: ", ")
  }
}

public struct Query: Codable, Sendable, Equatable {
  public var fingerprint: String
  public var fingerprintSource: String
  @WritesNull public var parseError: String? = nil
  public var normalized: String
  @WritesNull public var example: String? = nil
  @WritesNull public var exampleParameters: String? = nil
  @WritesNull public var exampleMs: Double? = nil
  public var calls: Int
  public var slowCalls: Int
  public var totalMs: Double
  public var slowMs: Double
  @WritesNull public var minMs: Double? = nil
  @WritesNull public var maxMs: Double? = nil
  @WritesNull public var meanMs: Double? = nil
  @WritesNull public var p50Ms: Double? = nil
  @WritesNull public var p95Ms: Double? = nil
  @WritesNull public var p99Ms: Double? = nil
  public var prepareMs: Double
  public var untimedCalls: Int
  public var errors: Int
  public var databases: [NameCount]
  public var users: [NameCount]
  public var applications: [NameCount]
  @WritesNull public var firstSeen: String? = nil
  @WritesNull public var lastSeen: String? = nil
  /// auto_explain's plans of this query, when the log has them.
  @WritesNull public var plan: PlanReport? = nil
  /// Executions in 40 equal slots over the report's time span.
  @WritesNull public var sparkline: [Int]? = nil
  /// The timed executions' durations in the latency histogram's buckets (four per doubling, the non-empty
  /// ones): what `compare` tests a change on.
  @WritesNull public var histogram: [HistogramBucket]? = nil
  /// The calls by the endpoint their query tags name (sqlcommenter, Rails QueryLogs), most time first; absent
  /// (null) when no call carried one.
  @WritesNull public var endpoints: [EndpointShare]? = nil

  enum CodingKeys: String, CodingKey {
    case endpoints
    case fingerprint, fingerprintSource = "fingerprint_source", parseError = "parse_error", normalized, example
    case exampleParameters = "example_parameters", exampleMs = "example_ms", calls, slowCalls = "slow_calls"
    case totalMs = "total_ms", slowMs = "slow_ms", minMs = "min_ms", maxMs = "max_ms", meanMs = "mean_ms"
    case p50Ms = "p50_ms", p95Ms = "p95_ms", p99Ms = "p99_ms", prepareMs = "prepare_ms"
    case untimedCalls = "untimed_calls", errors, databases, users, applications
    case sparkline, plan, histogram
    case firstSeen = "first_seen", lastSeen = "last_seen"
  }
}

/// What auto_explain logged of a query's plans (schema version 3; null without auto_explain).
public struct PlanReport: Codable, Sendable, Equatable {
  public var explained: Int
  /// Sequential scans by table, with the rows their filters threw away: where an index would help.
  public var seqScans: [SeqScanReport]
  public var sortMethods: [NameCount]
  public var sortDiskKB: Int64
  public var tempBlocksWritten: Int64
  /// The slowest plan, as logged (text or JSON), and its duration.
  @WritesNull public var examplePlan: String? = nil
  @WritesNull public var exampleMs: Double? = nil

  enum CodingKeys: String, CodingKey {
    case explained, seqScans = "seq_scans", sortMethods = "sort_methods", sortDiskKB = "sort_disk_kb"
    case tempBlocksWritten = "temp_blocks_written", examplePlan = "example_plan", exampleMs = "example_ms"
  }

}

public struct SeqScanReport: Codable, Sendable, Equatable {
  public var table: String
  public var scans: Int
  public var rowsRemoved: Int64

  public init(table: String, scans: Int, rowsRemoved: Int64) {
    self.table = table
    self.scans = scans
    self.rowsRemoved = rowsRemoved
  }

  enum CodingKeys: String, CodingKey { case table, scans, rowsRemoved = "rows_removed" }
}

public struct ErrorGroupReport: Codable, Sendable {
  public var severity: String
  /// The SQLSTATE, when the log carries it (csvlog, jsonlog, `%e`), and the name of its class (version 3).
  @WritesNull public var sqlState: String? = nil
  @WritesNull public var sqlStateClass: String? = nil
  /// The message with numbers replaced by N, which is what groups errors.
  public var message: String
  @WritesNull public var fingerprint: String? = nil
  public var count: Int
  public var exampleMessage: String
  @WritesNull public var exampleDetail: String? = nil
  @WritesNull public var exampleHint: String? = nil
  @WritesNull public var exampleStatement: String? = nil
  @WritesNull public var firstSeen: String? = nil
  @WritesNull public var lastSeen: String? = nil

  enum CodingKeys: String, CodingKey {
    case severity, sqlState = "sqlstate", sqlStateClass = "sqlstate_class", message, fingerprint, count
    case exampleMessage = "example_message", exampleDetail = "example_detail"
    case exampleHint = "example_hint", exampleStatement = "example_statement", firstSeen = "first_seen"
    case lastSeen = "last_seen"
  }
}

public struct TimeSeriesReport: Codable, Sendable {
  public var intervalSeconds: Double
  public var buckets: [TimeBucket]

  enum CodingKeys: String, CodingKey {
    case intervalSeconds = "interval_s", buckets
  }
}

/// The time series grouped into rows of one round interval, aligned to the report's time zone.
public struct IntervalTableReport: Codable, Sendable {
  public var intervalSeconds: Double
  /// False when the series' own interval does not divide the rows' (a bucket straddling two rows went to the
  /// one it starts in).
  public var exact: Bool
  public var rows: [TimeBucket]

  public init(intervalSeconds: Double, exact: Bool, rows: [TimeBucket]) {
    self.intervalSeconds = intervalSeconds
    self.exact = exact
    self.rows = rows
  }

  enum CodingKeys: String, CodingKey {
    case intervalSeconds = "interval_s", exact, rows
  }
}

public struct TimeBucket: Codable, Sendable {
  public var start: String
  public var statements: Int
  public var slowStatements: Int
  public var totalMs: Double
  /// Upper bound of the histogram bucket holding the p95 (about 19% wide).
  public var p95Ms: Double
  public var errors: Int
  /// Connections received (schema version 3).
  public var connections = 0
  /// Sessions open during the interval, of those whose end the log shows (`log_disconnections`).
  public var sessions = 0

  enum CodingKeys: String, CodingKey {
    case start, statements, slowStatements = "slow_statements", totalMs = "total_ms", p95Ms = "p95_ms", errors
    case connections, sessions
  }

  public init(
    start: String, statements: Int, slowStatements: Int, totalMs: Double, p95Ms: Double, errors: Int,
    connections: Int, sessions: Int = 0
  ) {
    self.start = start
    self.statements = statements
    self.slowStatements = slowStatements
    self.totalMs = totalMs
    self.p95Ms = p95Ms
    self.errors = errors
    self.connections = connections
    self.sessions = sessions
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    start = try c.decode(String.self, forKey: .start)
    statements = try c.decode(Int.self, forKey: .statements)
    slowStatements = try c.decode(Int.self, forKey: .slowStatements)
    totalMs = try c.decode(Double.self, forKey: .totalMs)
    p95Ms = try c.decode(Double.self, forKey: .p95Ms)
    errors = try c.decode(Int.self, forKey: .errors)
    connections = try c.decodeIfPresent(Int.self, forKey: .connections) ?? 0
    sessions = try c.decodeIfPresent(Int.self, forKey: .sessions) ?? 0
  }
}

public struct HistogramBucket: Codable, Sendable, Equatable {
  /// Durations below this (and at or above the previous bucket's bound).
  public var upperMs: Double
  public var count: Int

  enum CodingKeys: String, CodingKey {
    case upperMs = "upper_ms", count
  }
}

/// One endpoint's share of a query's timed calls.
public struct EndpointShare: Codable, Sendable, Equatable {
  /// `controller#action`, a job, a route, or the application, as the tags name it; `(other endpoints)` for the
  /// calls of endpoints past the 32 a query keeps apart.
  public var endpoint: String
  public var calls: Int
  public var totalMs: Double
  public var slowCalls: Int
  public var slowMs: Double

  enum CodingKeys: String, CodingKey {
    case endpoint, calls, totalMs = "total_ms", slowCalls = "slow_calls", slowMs = "slow_ms"
  }
}

/// One endpoint's statements: what it spends of the database's time, and on which queries.
public struct EndpointReport: Codable, Sendable, Equatable {
  public var endpoint: String
  public var calls: Int
  public var totalMs: Double
  public var slowCalls: Int
  public var slowMs: Double
  /// The fingerprints of its queries, most time first.
  public var fingerprints: [String]
  /// Its requests, where its statements carry a `traceparent`; null otherwise.
  @WritesNull public var requests: RequestsReport? = nil

  enum CodingKeys: String, CodingKey {
    case endpoint, calls, totalMs = "total_ms", slowCalls = "slow_calls", slowMs = "slow_ms", fingerprints
    case requests
  }
}

/// An endpoint's requests: the statements of one trace id, and the database time they took together.
public struct RequestsReport: Codable, Sendable, Equatable {
  public var requests: Int
  public var statements: Int
  public var maxStatements: Int
  /// Database time per request: the median, the 95th percentile (a histogram bucket's upper bound) and the most.
  public var p50Ms: Double
  public var p95Ms: Double
  public var maxMs: Double
  public var totalMs: Double
  /// Requests whose database time reached `budget_ms` (--request-budget).
  public var overBudget: Int
  public var budgetMs: Double

  enum CodingKeys: String, CodingKey {
    case requests, statements, maxStatements = "max_statements", p50Ms = "p50_ms", p95Ms = "p95_ms", maxMs = "max_ms"
    case totalMs = "total_ms", overBudget = "over_budget", budgetMs = "budget_ms"
  }
}

/// The workload by who sent it: each database, user, application and client host (`""` when the log does not
/// say) with its timed calls, their time and slow calls, most time first.
public struct TimeByReport: Codable, Sendable, Equatable {
  public var database: [NameTimesReport]
  public var user: [NameTimesReport]
  public var application: [NameTimesReport]
  public var host: [NameTimesReport]
}

public struct NameTimesReport: Codable, Sendable, Equatable {
  public var name: String
  public var calls: Int
  public var totalMs: Double
  public var slowCalls: Int
  public var slowMs: Double

  enum CodingKeys: String, CodingKey {
    case name, calls, totalMs = "total_ms", slowCalls = "slow_calls", slowMs = "slow_ms"
  }
}
