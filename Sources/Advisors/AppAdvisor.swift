// Application advice: the patterns ORM code causes (N+1 loops, row-by-row writes, connection churn, wide reads,
// deep OFFSET pages), found in the sessions, connections and queries of the aggregate, each with its evidence
// and the fix in the terms of Django and Rails. Reports render it.
import AppPatterns
import Fingerprint
import Statistics

public struct AppAdvice: Sendable, Equatable {
  public enum Kind: String, Sendable {
    case nPlusOne = "n_plus_one"
    case rowByRowWrite = "row_by_row_write"
    case connectionChurn = "connection_churn"
    case wideRead = "wide_read"
    case deepOffset = "deep_offset"
  }

  public var kind: Kind
  /// The queries involved; for N+1 the parent query first, then the child.
  public var fingerprints: [Fingerprint]
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
  /// The endpoints (views, controller actions, jobs) the repeated query's tags name, most calls first: the code
  /// to change. Nil when its statements carry no tags.
  public var endpoints: [String]? = nil
}

public enum AppAdvisor {
  /// A new connection costs about this much (fork, authentication, catalog caches) before its first query.
  public static let connectCostMs = 20.0

  /// The patterns of `aggregator`'s sessions, connections and queries (its texts normalized), most time first.
  public static func advice(_ aggregator: StatementAggregator, thresholds: AppAdviceThresholds) -> [AppAdvice] {
    let queries = aggregator.queries
    // Where each fingerprint's query is (not a copy of it: a report may have a great many), found by value: the
    // session steps of a part saved before steps carried the whole fingerprint know it by its value alone.
    var byValue: [UInt64: Int] = [:]
    byValue.reserveCapacity(queries.count)
    for index in queries.indices { byValue[queries[index].fingerprint.value] = index }
    func fingerprint(_ step: Fingerprint) -> Fingerprint { byValue[step.value].map { queries[$0].fingerprint } ?? step }
    /// The endpoints that send the query, most calls first (the first three, and a share when there are more).
    func endpoints(_ step: Fingerprint) -> [String]? {
      guard let index = byValue[step.value], let times = queries[index].endpoints, !times.byEndpoint.isEmpty else {
        return nil
      }
      let total = times.byEndpoint.values.reduce(times.others.calls) { $0 + $1.calls }
      let named = times.byEndpoint.sorted { ($0.value.calls, $1.key) > ($1.value.calls, $0.key) }.prefix(3)
      return named.map { name, t in
        t.calls == total ? name : "\(name) (\(Int((Double(t.calls) / Double(total) * 100).rounded()))%)"
      }
    }
    func table(_ step: Fingerprint) -> String? {
      byValue[step.value].flatMap {
        SelectList.of(queries[$0].normalized)?.table ?? Self.writtenTable(queries[$0].normalized)
      }
    }
    var advice: [AppAdvice] = []

    // Reads in bursts after a parent query, and single-row writes in bursts.
    for (key, tally) in aggregator.bursts.tallies.sorted(by: {
      ($0.key.child.value, $0.key.parent?.value ?? 0) < ($1.key.child.value, $1.key.parent?.value ?? 0)
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
      let child = fingerprint(key.child)
      let childTable = table(key.child).map { "`\($0)`" } ?? "rows"
      let senders = endpoints(key.child)
      let sentBy = senders.map { " — sent by \($0.joined(separator: ", "))" } ?? ""
      switch key.category {
      case .read:
        let parentTable = key.parent.flatMap(table).map { "`\($0)`" }
        evidence["bursts"] = Double(found.bursts)
        advice.append(
          AppAdvice(
            kind: .nPlusOne, fingerprints: [fingerprint(key.parent!), child],
            occurrences: found.bursts, totalMs: ms(found.totalUs),
            finding: "\(times(found.bursts)), a query on \(parentTable ?? "a table") was followed by "
              + "\(format(mean)) lookups of \(childTable) one key at a time (\(found.calls) queries, "
              + "\(format(ms(found.totalUs))) ms)\(sentBy)",
            fix: "Load the \(childTable) with the query before them: a JOIN, or one query with `WHERE id = ANY($1)`. "
              + "Django: `select_related(...)` for a foreign key, `prefetch_related(...)` for a reverse or "
              + "many-to-many relation; Rails: `includes(...)`.",
            evidence: evidence, endpoints: senders))
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
          AppAdvice(
            kind: .rowByRowWrite, fingerprints: [child], occurrences: found.bursts, totalMs: ms(found.totalUs),
            finding:
              "\(found.bursts) run\(found.bursts == 1 ? "" : "s") of single-row \(verb) into \(childTable), \(format(mean)) rows per run on "
              + "average, \(found.longest) at most (\(found.calls) statements, \(format(ms(found.totalUs))) ms)"
              + sentBy,
            fix: fix, evidence: evidence, endpoints: senders))
      }
    }

    // Connection churn.
    let k = aggregator.activity.connections
    let seconds = max(
      1, Double((aggregator.summary.last?.epochMs ?? 0) - (aggregator.summary.first?.epochMs ?? 0)) / 1000)
    let meanPerSecond = (Double(k.received) / seconds * 1000).rounded() / 1000
    let peakPerSecond = round1(k.arrivals.peakPerSecond)
    let measuredConnectMs = k.connectTimesHaveMilliseconds ? Double(k.connectMs) : nil
    let short = k.sessionsUnderOneSecond
    let share = k.disconnections > 0 ? Double(short) / Double(k.disconnections) : 0
    if meanPerSecond >= thresholds.churnPerSecond && share >= thresholds.churnShortShare {
      let connectMs = measuredConnectMs ?? Double(short) * connectCostMs
      var evidence: [String: Double] = [
        "connections": Double(k.received), "peak_per_second": peakPerSecond,
        "mean_per_second": meanPerSecond, "short_sessions": Double(short),
        "short_share": round1(share * 100) / 100,
      ]
      if let measured = measuredConnectMs, k.connectsTimed > 0 {
        evidence["connect_ms"] = measured
        evidence["mean_connect_ms"] = round1(measured / Double(k.connectsTimed))
      }
      advice.append(
        AppAdvice(
          kind: .connectionChurn, fingerprints: [], occurrences: short, totalMs: connectMs,
          finding: "\(k.received) connections (\(format(peakPerSecond)) per second at the peak); "
            + "\(Int((share * 100).rounded()))% of sessions lasted under one second; "
            + (measuredConnectMs != nil
              ? "\(format(connectMs)) ms spent between `connection received` and `connection authorized`"
              : "about \(format(connectMs)) ms spent connecting (20 ms each)"),
          fix: "Keep connections open instead of opening one per request: Django `CONN_MAX_AGE = 600` with "
            + "`CONN_HEALTH_CHECKS = True`; or put PgBouncer in front with `pool_mode = transaction`, "
            + "`default_pool_size` near twice the server's cores and `max_client_conn` above the clients' total, and "
            + "point the application at it.",
          evidence: evidence))
    }

    // Wide reads and deep pages, per query.
    for query in queries {
      let totalMs = ms(query.totalUs)
      guard let list = SelectList.of(query.normalized) else { continue }
      if query.calls >= thresholds.wideMinCalls && (list.star || list.columns >= thresholds.wideColumns) {
        let what = list.star ? "`SELECT *`" : "\(list.columns) columns"
        advice.append(
          AppAdvice(
            kind: .wideRead, fingerprints: [query.fingerprint], occurrences: query.calls, totalMs: totalMs,
            finding: "\(what) from \(list.table.map { "`\($0)`" } ?? "its tables"), \(query.calls) times "
              + "(\(format(totalMs)) ms)",
            fix: "Read only the columns the code uses: Django `.only('id', …)`, `.values('id', …)` or "
              + "`values_list(...)`, `.defer(...)` for large columns; Rails `select(:id, …)` or `pluck`.",
            evidence: ["calls": Double(query.calls), "columns": list.star ? 0 : Double(list.columns)]))
      }
      if let offset = query.maxOffset, offset >= thresholds.deepOffset {
        advice.append(
          AppAdvice(
            kind: .deepOffset, fingerprints: [query.fingerprint], occurrences: query.calls, totalMs: totalMs,
            finding: "pages as deep as OFFSET \(offset) of \(list.table.map { "`\($0)`" } ?? "a query"), "
              + "\(query.calls) calls (\(format(totalMs)) ms): the server reads and throws away every row it skips",
            fix: "Page by key instead: `WHERE id > $1 ORDER BY id LIMIT n` with the last key of the page before. "
              + "Django: `filter(id__gt=last_id).order_by('id')[:n]` or DRF `CursorPagination`; Rails: "
              + "`where('id > ?', last_id).order(:id).limit(n)`.",
            evidence: ["calls": Double(query.calls), "max_offset": Double(offset)]))
      }
    }
    return advice.sorted {
      ($0.totalMs, $1.kind.rawValue, $1.fingerprints.map(\.hex).joined())
        > ($1.totalMs, $0.kind.rawValue, $0.fingerprints.map(\.hex).joined())
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

  static func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }
  static func ms(_ us: Int64) -> Double { Double(us) / 1000 }
  /// A figure in a sentence: one decimal, none when it is whole.
  static func format(_ x: Double) -> String {
    let value = round1(x)
    return value == value.rounded() ? String(Int(value)) : String(value)
  }
}
