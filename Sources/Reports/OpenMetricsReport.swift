// The report as Prometheus metrics (text exposition format, with OpenMetrics' `# EOF`), for node_exporter's
// textfile collector: a cron run writes `pgsift.prom` into its directory and the dashboards the team already has
// read it. Every figure is a gauge of the report's window (the last run's, with --state), times in seconds.
// Per-query series are the `top` queries by total time only, so that the series stay few whatever the log.
import Foundation

public struct OpenMetricsReport {
  public var top: Int

  public init(top: Int = 20) { self.top = top }

  public func render(_ report: AnalysisReport) -> String {
    var out = ""
    func family(_ name: String, _ help: String, _ samples: [(labels: [(String, String)], value: Double)]) {
      guard !samples.isEmpty else { return }
      out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
      for sample in samples {
        let labels =
          sample.labels.isEmpty
          ? "" : "{" + sample.labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
        out += "\(name)\(labels) \(Self.number(sample.value))\n"
      }
    }
    let s = report.summary
    family("pgsift_statements", "Timed statements in the report.", [([], Double(s.statements))])
    family(
      "pgsift_slow_statements", "Statements at or over the slow threshold.", [([], Double(s.slowStatements))])
    family("pgsift_statement_seconds", "Time the timed statements took.", [([], s.totalMs / 1000)])
    family("pgsift_slow_threshold_seconds", "The slow threshold the report used.", [([], report.thresholdMs / 1000)])
    family("pgsift_fingerprints", "Distinct statement fingerprints kept apart.", [([], Double(s.fingerprints))])
    family("pgsift_errors", "ERROR, FATAL and PANIC records.", [([], Double(s.errors))])
    if let last = s.last.flatMap(Self.epochSeconds) {
      family("pgsift_last_record_timestamp_seconds", "Time of the latest record read (Unix time).", [([], last)])
    }
    family(
      "pgsift_skipped_lines", "Lines of the input that were not read as log records.",
      [([], Double(report.input.skippedLines))])
    // By kind of statement.
    let types = report.statementTypes ?? []
    family(
      "pgsift_statement_type_calls", "Executions by kind of statement.",
      types.map { ([("type", $0.type)], Double($0.calls + $0.untimedCalls)) })
    family(
      "pgsift_statement_type_seconds", "Time by kind of statement.",
      types.map { ([("type", $0.type)], $0.totalMs / 1000) }
    )
    // The top queries by total time.
    let queries = report.queries.filter { $0.calls > 0 }.prefix(top)
    func labels(_ q: Query) -> [(String, String)] {
      [("fingerprint", q.fingerprint), ("query", Self.short(q.normalized))]
    }
    family("pgsift_query_calls", "Timed executions of a query.", queries.map { (labels($0), Double($0.calls)) })
    family("pgsift_query_seconds", "Time a query's executions took.", queries.map { (labels($0), $0.totalMs / 1000) })
    family(
      "pgsift_query_slow_calls", "A query's executions at or over the slow threshold.",
      queries.map { (labels($0), Double($0.slowCalls)) })
    family(
      "pgsift_query_p95_seconds", "The 95th percentile of a query's durations.",
      queries.compactMap { q in q.p95Ms.map { (labels(q), $0 / 1000) } })
    // Errors by SQLSTATE (or by severity where the log has no SQLSTATE).
    var errors: [String: Double] = [:]
    for group in report.errors { errors[group.sqlState ?? group.severity, default: 0] += Double(group.count) }
    family(
      "pgsift_error_records", "Error records by SQLSTATE (by severity where the log carries none).",
      errors.sorted { $0.key < $1.key }.map { ([("sqlstate", $0.key)], $0.value) })
    if let e = report.events {
      family(
        "pgsift_temp_files", "Temporary files written (log_temp_files).",
        [([], Double(e.tempFiles.reduce(0) { $0 + $1.files }))])
      family(
        "pgsift_temp_bytes", "Bytes of temporary files written.",
        [([], Double(e.tempFiles.reduce(Int64(0)) { $0 + $1.bytes }))])
      family(
        "pgsift_lock_waits", "Lock waits logged (log_lock_waits).",
        [([], Double(e.lockWaits.reduce(0) { $0 + $1.waits }))])
      family("pgsift_deadlocks", "Deadlocks detected.", [([], Double(e.deadlocks.count))])
      family("pgsift_checkpoints", "Checkpoints completed.", [([], Double(e.checkpoints.completed))])
      family("pgsift_connections", "Connections received (log_connections).", [([], Double(e.connections.received))])
      family(
        "pgsift_short_sessions", "Sessions that lasted under one second.",
        [([], Double(e.connections.sessionsUnderOneSecond))])
    }
    return out + "# EOF\n"
  }

  /// A label value: backslash, double quote and newline escaped.
  static func escape(_ value: String) -> String {
    value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
      .replacingOccurrences(of: "\n", with: "\\n")
  }

  /// A query's normalized text on one line, cut to 60 characters: enough to know it on a dashboard.
  static func short(_ sql: String) -> String {
    let one = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    return one.count > 60 ? String(one.prefix(59)) + "…" : one
  }

  static func number(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
  }

  static func epochSeconds(_ iso: String) -> Double? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: iso)?.timeIntervalSince1970
  }
}
