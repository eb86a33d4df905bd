// Application advice: the patterns ORM code causes (N+1 loops, row-by-row writes, connection churn, wide reads,
// deep OFFSET pages), each with its evidence and the fix in the terms of Django and Rails.
import AppPatterns
import Fingerprint
import Statistics

public struct AppAdviceReport: Codable, Sendable, Equatable {
  /// `n_plus_one`, `row_by_row_write`, `connection_churn`, `wide_read` or `deep_offset`.
  public var kind: String
  /// The queries involved; for N+1 the parent query first, then the child.
  public var fingerprints: [String]
  /// Bursts (N+1, row-by-row writes), short sessions (churn), or calls (wide reads, deep pages).
  public var occurrences: Int
  /// The time those statements took (for churn: the time spent connecting).
  public var totalMs: Double
  /// What was seen, in a sentence.
  public var finding: String
  public var fix: String
  /// The figures behind the finding, by name: `calls`, `sessions`, `longest`, `mean_length`, `columns`,
  /// `max_offset`, `connections`, `peak_per_second`, `short_share`, ….
  public var evidence: [String: Double]

  enum CodingKeys: String, CodingKey {
    case kind, fingerprints, occurrences, totalMs = "total_ms", finding, fix, evidence
  }
}

enum AppAdvisor {
  static func advice(
    aggregator: StatementAggregator, queries: [Query], connections: ConnectionReport,
    thresholds: AppAdviceThresholds
  ) -> [AppAdviceReport] {
    // Where each fingerprint's query is (not a copy of it: a report may have a great many).
    var byFingerprint: [String: Int] = [:]
    byFingerprint.reserveCapacity(queries.count)
    for (index, query) in queries.enumerated() { byFingerprint[query.fingerprint] = index }
    func hex(_ value: UInt64) -> String { Fingerprint(value: value, source: .libpgQuery).hex }
    func table(_ value: UInt64) -> String? {
      byFingerprint[hex(value)].flatMap {
        SelectList.of(queries[$0].normalized)?.table ?? Self.writtenTable(queries[$0].normalized)
      }
    }
    var advice: [AppAdviceReport] = []

    // Reads in bursts after a parent query, and single-row writes in bursts.
    for (key, tally) in aggregator.bursts.tallies.sorted(by: {
      ($0.key.child, $0.key.parent ?? 0) < ($1.key.child, $1.key.parent ?? 0)
    }) {
      let minimum = key.category == .read ? thresholds.nPlusOne : thresholds.rowByRow
      let found = tally.atLeast(minimum)
      guard found.bursts > 0 else { continue }
      // N+1: a loop over the rows of a query on a table, seen more than once (one burst after one query may be
      // chance in a busy mixed workload).
      if key.category == .read {
        guard found.bursts >= thresholds.nPlusOneBursts, let parent = key.parent, table(parent) != nil else { continue }
      }
      let mean = Double(found.calls) / Double(found.bursts)
      var evidence: [String: Double] = [
        "calls": Double(found.calls), "sessions": Double(found.sessions), "longest": Double(found.longest),
        "mean_length": round1(mean),
      ]
      let child = hex(key.child)
      let childTable = table(key.child).map { "`\($0)`" } ?? "rows"
      switch key.category {
      case .read:
        let parentTable = key.parent.flatMap(table).map { "`\($0)`" }
        evidence["bursts"] = Double(found.bursts)
        advice.append(
          AppAdviceReport(
            kind: "n_plus_one", fingerprints: [hex(key.parent!), child],
            occurrences: found.bursts, totalMs: ms(found.totalUs),
            finding: "\(times(found.bursts)), a query on \(parentTable ?? "a table") was followed by "
              + "\(format(mean)) lookups of \(childTable) one key at a time (\(found.calls) queries, "
              + "\(format(ms(found.totalUs))) ms)",
            fix: "Load the \(childTable) with the query before them: a JOIN, or one query with `WHERE id = ANY($1)`. "
              + "Django: `select_related(...)` for a foreign key, `prefetch_related(...)` for a reverse or "
              + "many-to-many relation; Rails: `includes(...)`.",
            evidence: evidence))
      case .write:
        let verb = key.kind == .insert ? "inserts" : key.kind == .update ? "updates" : "deletes"
        let fix: String
        switch key.kind {
        case .insert:
          fix =
            "Insert the rows in one statement: a multi-row `INSERT … VALUES (…), (…)`, or `COPY` for many. "
            + "Django: `bulk_create(objs, batch_size=1000)`; Rails: `insert_all`."
        case .update:
          fix =
            "Update the rows in one statement: `UPDATE … WHERE id = ANY($1)` for one new value, "
            + "`UPDATE … FROM (VALUES …)` for several. Django: `QuerySet.update(...)` or "
            + "`bulk_update(objs, fields, batch_size=1000)`; Rails: `update_all`."
        default:
          fix =
            "Delete the rows in one statement: `DELETE … WHERE id = ANY($1)`. Django: `QuerySet.filter(...).delete()`; "
            + "Rails: `delete_all` / `where(...).destroy_all` only when callbacks matter."
        }
        evidence["runs"] = Double(found.bursts)
        advice.append(
          AppAdviceReport(
            kind: "row_by_row_write", fingerprints: [child], occurrences: found.bursts, totalMs: ms(found.totalUs),
            finding:
              "\(found.bursts) run\(found.bursts == 1 ? "" : "s") of single-row \(verb) into \(childTable), \(format(mean)) rows per run on "
              + "average, \(found.longest) at most (\(found.calls) statements, \(format(ms(found.totalUs))) ms)",
            fix: fix, evidence: evidence))
      }
    }

    // Connection churn.
    let short = connections.sessionsUnderOneSecond
    let share = connections.disconnections > 0 ? Double(short) / Double(connections.disconnections) : 0
    if connections.meanPerSecond >= thresholds.churnPerSecond && share >= thresholds.churnShortShare {
      let connectMs = connections.measuredConnectMs ?? connections.estimatedConnectMs
      var evidence: [String: Double] = [
        "connections": Double(connections.received), "peak_per_second": connections.peakPerSecond,
        "mean_per_second": connections.meanPerSecond, "short_sessions": Double(short),
        "short_share": round1(share * 100) / 100,
      ]
      if let measured = connections.measuredConnectMs, let timed = connections.timedConnections, timed > 0 {
        evidence["connect_ms"] = measured
        evidence["mean_connect_ms"] = round1(measured / Double(timed))
      }
      advice.append(
        AppAdviceReport(
          kind: "connection_churn", fingerprints: [], occurrences: short, totalMs: connectMs,
          finding: "\(connections.received) connections (\(format(connections.peakPerSecond)) per second at the peak); "
            + "\(Int((share * 100).rounded()))% of sessions lasted under one second; "
            + (connections.measuredConnectMs != nil
              ? "\(format(connectMs)) ms spent between `connection received` and `connection authorized`"
              : "about \(format(connectMs)) ms spent connecting (20 ms each)"),
          fix: "Keep connections open instead of opening one per request: Django `CONN_MAX_AGE = 600` with "
            + "`CONN_HEALTH_CHECKS = True`; or put PgBouncer in front with `pool_mode = transaction`, "
            + "`default_pool_size` near twice the server's cores and `max_client_conn` above the clients' total, and "
            + "point the application at it.",
          evidence: evidence))
    }

    // Wide reads and deep pages, per query.
    // The deepest OFFSET of each query that has one (the figures only: a copy of every query would double them).
    let offsets = Dictionary(
      aggregator.queries.compactMap { query in query.maxOffset.map { (query.fingerprint.hex, $0) } },
      uniquingKeysWith: { first, _ in first })
    for query in queries {
      guard let list = SelectList.of(query.normalized) else { continue }
      if query.calls >= thresholds.wideMinCalls && (list.star || list.columns >= thresholds.wideColumns) {
        let what = list.star ? "`SELECT *`" : "\(list.columns) columns"
        advice.append(
          AppAdviceReport(
            kind: "wide_read", fingerprints: [query.fingerprint], occurrences: query.calls, totalMs: query.totalMs,
            finding: "\(what) from \(list.table.map { "`\($0)`" } ?? "its tables"), \(query.calls) times "
              + "(\(format(query.totalMs)) ms)",
            fix: "Read only the columns the code uses: Django `.only('id', …)`, `.values('id', …)` or "
              + "`values_list(...)`, `.defer(...)` for large columns; Rails `select(:id, …)` or `pluck`.",
            evidence: ["calls": Double(query.calls), "columns": list.star ? 0 : Double(list.columns)]))
      }
      if let offset = offsets[query.fingerprint], offset >= thresholds.deepOffset {
        advice.append(
          AppAdviceReport(
            kind: "deep_offset", fingerprints: [query.fingerprint], occurrences: query.calls, totalMs: query.totalMs,
            finding: "pages as deep as OFFSET \(offset) of \(list.table.map { "`\($0)`" } ?? "a query"), "
              + "\(query.calls) calls (\(format(query.totalMs)) ms): the server reads and throws away every row it skips",
            fix: "Page by key instead: `WHERE id > $1 ORDER BY id LIMIT n` with the last key of the page before. "
              + "Django: `filter(id__gt=last_id).order_by('id')[:n]` or DRF `CursorPagination`; Rails: "
              + "`where('id > ?', last_id).order(:id).limit(n)`.",
            evidence: ["calls": Double(query.calls), "max_offset": Double(offset)]))
      }
    }
    return advice.sorted {
      ($0.totalMs, $1.kind, $1.fingerprints.joined()) > ($1.totalMs, $0.kind, $0.fingerprints.joined())
    }
  }

  /// The table an INSERT, UPDATE or DELETE writes, from its normalized text.
  static func writtenTable(_ sql: String) -> String? {
    let words = sql.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "(" })
    for (index, word) in words.enumerated() where index + 1 < words.count {
      let lower = word.lowercased()
      if lower == "into" || lower == "update" || lower == "from" {
        return String(words[index + 1].split(separator: ".").last ?? "").trimmingCharacters(in: ["\""])
      }
    }
    return nil
  }

  static func times(_ n: Int) -> String { n == 1 ? "once" : n == 2 ? "twice" : "\(n) times" }

  static func round1(_ x: Double) -> Double { ReportBuilder.round1(x) }
  static func ms(_ us: Int64) -> Double { ReportBuilder.ms(us) }
  /// A figure in a sentence: one decimal, none when it is whole.
  static func format(_ x: Double) -> String { ReportBuilder.formatMs(ReportBuilder.round1(x)) }
}
