// Builds the report model from the aggregates and what was read.
import Advisors
import AppPatterns
import Fingerprint
import LogInput
import LogReading
import ParallelRuns
import Statistics

public enum ReportBuilder {
  public static func build(
    aggregator: StatementAggregator, advice: IndexAdvice?, files: [FileSummary], diagnostics: Diagnostics,
    generator: String, appThresholds: AppAdviceThresholds = AppAdviceThresholds(), filters: String? = nil,
    zone: DisplayZone = .utc, threads: Int = 1
  ) -> AnalysisReport {
    let errorCounts = aggregator.errorsByFingerprint
    // Each query's figures (its percentiles, names, histogram, sparkline) on `threads` threads.
    let stats = aggregator.queries
    let names = aggregator.names
    let span = aggregator.summary.first.flatMap { first in aggregator.summary.last.map { (first, $0) } }
    var queries = ParallelRuns.map(stats.count, threads: threads, minimumPerRun: JSONReport.queriesPerRun) { range in
      stats[range].map { q in
        var built = query(from: q, names: names, errors: errorCounts, zone: zone)
        if let (first, last) = span { built.sparkline = q.activity.resampled(from: first, to: last, slots: 40) }
        return built
      }
    }
    queries.sort { ($0.totalMs, $0.calls, $1.fingerprint) > ($1.totalMs, $1.calls, $0.fingerprint) }
    let s = aggregator.summary
    let formats = Set(files.compactMap(\.format?.rawValue))
    var problems: [String: Int] = [:]
    for (kind, count) in diagnostics.counts where count > 0 { problems[kind.rawValue] = count }
    let input = InputSummary(
      files: files, lines: files.reduce(0) { $0 + $1.lines }, entries: files.reduce(0) { $0 + $1.entries },
      skippedLines: files.reduce(0) { $0 + $1.skippedLines },
      format: formats.count == 1 ? formats.first! : (formats.isEmpty ? "none" : "mixed"), problems: problems,
      filters: filters)
    var summary = Summary(
      statements: s.timedStatements, slowStatements: s.slowStatements, totalMs: ms(s.totalUs),
      fingerprints: aggregator.queries.count, untimedStatements: s.untimedStatements, prepareSteps: s.prepareSteps,
      bareDurations: s.bareDurations, errors: s.errors,
      unparsedFingerprints: aggregator.queries.filter { $0.fingerprint.source == .lexer }.count,
      first: s.first.map(zone.stamp), last: s.last.map(zone.stamp))
    let events = Self.events(aggregator, zone: zone)
    summary.lockWaits = events.lockWaits.reduce(0) { $0 + $1.waits }
    summary.deadlocks = events.deadlocks.count
    summary.tempFiles = events.tempFiles.reduce(0) { $0 + $1.files }
    summary.tempBytes = events.tempFiles.reduce(0) { $0 + $1.bytes }
    summary.checkpoints = events.checkpoints.completed
    summary.autovacuums = events.autovacuum.reduce(0) { $0 + $1.runs }
    summary.autoanalyzes = events.autoanalyze.reduce(0) { $0 + $1.runs }
    summary.connections = events.connections.received
    summary.disconnections = events.connections.disconnections
    summary.cancelledStatements = events.cancellations.reduce(0) { $0 + $1.calls }
    summary.filteredStatements = s.filteredStatements
    let folded = aggregator.folded
    if !folded.isEmpty {
      let timed = folded.distribution.count > 0
      summary.folded = FoldedReport(
        fingerprints: folded.fingerprints, calls: folded.calls, slowCalls: folded.slowCalls,
        untimedCalls: folded.untimedCalls, totalMs: ms(folded.totalUs), slowMs: ms(folded.slowTotalUs),
        maxMs: ms(folded.maxUs), p50Ms: timed ? ms(folded.distribution.valueUs(atPercentile: 50)) : nil,
        p95Ms: timed ? ms(folded.distribution.valueUs(atPercentile: 95)) : nil, budget: aggregator.fingerprintBudget)
    }
    let errors = aggregator.errorGroups.sorted {
      ($0.count, $1.message, $1.fingerprint?.hex ?? "") > ($1.count, $0.message, $0.fingerprint?.hex ?? "")
    }.map {
      group in
      ErrorGroupReport(
        severity: group.severity.name, sqlState: group.sqlState,
        sqlStateClass: group.sqlState.flatMap(SQLState.className),
        message: group.message, fingerprint: group.fingerprint?.hex, count: group.count,
        exampleMessage: group.example.message, exampleDetail: group.example.detail, exampleHint: group.example.hint,
        exampleStatement: group.example.statement, firstSeen: group.firstSeen.map(zone.stamp),
        lastSeen: group.lastSeen.map(zone.stamp))
    }
    let note = writeCountNote(aggregator)
    let series = aggregator.timeSeries
    let timeSeries = TimeSeriesReport(
      intervalSeconds: Double(series.intervalMs) / 1000,
      buckets: timeBuckets(series.ordered, widthMs: series.intervalMs, of: series, zone: zone))
    let histogram = buckets(aggregator.latency)
    var report = AnalysisReport(
      generator: generator, thresholdMs: ms(aggregator.thresholdUs), input: input, summary: summary, queries: queries,
      errors: errors, indexSuggestions: (advice?.suggestions ?? []).map { suggestion($0, note: note) },
      rejectedIndexSuggestions: (advice?.rejected ?? []).map { suggestion($0, note: note) },
      unusablePredicates: (advice?.unusable ?? []).map {
        UnusablePredicateReport(
          table: $0.table.description, column: $0.column, reason: $0.reason, fingerprints: $0.fingerprints.map(\.hex),
          slowMs: ms($0.slowUs))
      }, writeCountNote: note, timeSeries: timeSeries, latencyHistogram: histogram, events: events)
    report.appAdvice = AppAdvisor.advice(aggregator, thresholds: appThresholds).map(AppAdviceReport.init)
    report.statementTypes = statementTypes(aggregator)
    report.endpoints = endpoints(report.queries)?.map { endpoint in
      var endpoint = endpoint
      endpoint.requests = aggregator.requests.byEndpoint[endpoint.endpoint].map {
        requestsReport($0, budgetUs: aggregator.requests.budgetUs)
      }
      return endpoint
    }
    report.requestsWithoutEndpoint = aggregator.requests.byEndpoint[""].map {
      requestsReport($0, budgetUs: aggregator.requests.budgetUs)
    }
    report.timeBy = timeBy(aggregator)
    report.intervals = intervalTable(series, zone: zone)
    report.timeZone = zone.name
    report.isRedacted = false
    report.assumedPrimaryKeys = advice?.assumedPrimaryKeys ?? []
    return report
  }

  /// Report buckets of `widthMs` from the series' buckets (or rows grouped from them), with the sessions open
  /// during each.
  static func timeBuckets(
    _ rows: [(start: LogTime, bucket: TimeSeries.Bucket)], widthMs: Int64, of series: TimeSeries, zone: DisplayZone
  ) -> [TimeBucket] {
    let sessions = series.sessionsOpen(
      during: rows.map { ($0.start, LogTime(epochMs: $0.start.epochMs + widthMs)) })
    return zip(rows, sessions).map { row, open in
      let bucket = row.bucket
      return TimeBucket(
        start: zone.stamp(row.start), statements: bucket.statements, slowStatements: bucket.slowStatements,
        totalMs: ms(bucket.totalUs), p95Ms: ms(bucket.latency.valueUs(atPercentile: 95)), errors: bucket.errors,
        connections: bucket.connections, sessions: open)
    }
  }

  /// Round row widths for the interval table, in seconds.
  static let rowWidths: [Int64] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400, 604_800,
  ]

  /// The series in rows of the smallest round interval that keeps them to 24 (or of --interval, when one was
  /// given and it keeps them to a week of hours), aligned to the zone's hours and midnights.
  static func intervalTable(_ series: TimeSeries, zone: DisplayZone) -> IntervalTableReport? {
    let ordered = series.ordered
    guard let first = ordered.first?.start, let last = ordered.last?.start else { return nil }
    let spanMs = last.epochMs - first.epochMs + series.intervalMs
    let asked = series.baseMs != TimeSeries.defaultIntervalMs
    var widthMs: Int64
    if asked && spanMs / series.intervalMs <= 168 {
      widthMs = series.intervalMs
    } else {
      let fewest = max(series.intervalMs, (spanMs + 23) / 24)
      widthMs = (rowWidths.first { $0 * 1000 >= fewest } ?? rowWidths.last!) * 1000
      while spanMs / widthMs > 168 { widthMs *= 2 }
    }
    let offsetMs = Int64(zone.offsetMinutes(at: first)) * 60_000
    let rows = series.grouped(widthMs: widthMs, offsetMs: offsetMs)
    return IntervalTableReport(
      intervalSeconds: Double(widthMs) / 1000,
      exact: widthMs % series.intervalMs == 0 && offsetMs % series.intervalMs == 0,
      rows: timeBuckets(rows, widthMs: widthMs, of: series, zone: zone))
  }

  /// The workload by database, user, application and host.
  static func timeBy(_ aggregator: StatementAggregator) -> TimeByReport {
    func list(_ times: [Int32: CallTimes]) -> [NameTimesReport] {
      times.map {
        NameTimesReport(
          name: aggregator.name($0.key), calls: $0.value.calls, totalMs: ms($0.value.totalUs),
          slowCalls: $0.value.slowCalls, slowMs: ms($0.value.slowUs))
      }.sorted { ($0.totalMs, $0.calls, $1.name) > ($1.totalMs, $1.calls, $0.name) }
    }
    let t = aggregator.timeByName
    return TimeByReport(
      database: list(t.databases), user: list(t.users), application: list(t.applications), host: list(t.hosts))
  }

  /// The endpoints' totals, from each query's breakdown; nil when no query has one.
  static func endpoints(_ queries: [Query]) -> [EndpointReport]? {
    var byName: [String: EndpointReport] = [:]
    for query in queries {
      for share in query.endpoints ?? [] {
        var endpoint =
          byName[share.endpoint]
          ?? EndpointReport(endpoint: share.endpoint, calls: 0, totalMs: 0, slowCalls: 0, slowMs: 0, fingerprints: [])
        endpoint.calls += share.calls
        endpoint.totalMs += share.totalMs
        endpoint.slowCalls += share.slowCalls
        endpoint.slowMs += share.slowMs
        // The queries come most time first, so each endpoint's fingerprints do.
        endpoint.fingerprints.append(query.fingerprint)
        byName[share.endpoint] = endpoint
      }
    }
    guard !byName.isEmpty else { return nil }
    return byName.values.map {
      var endpoint = $0
      endpoint.totalMs = (endpoint.totalMs * 1000).rounded() / 1000
      endpoint.slowMs = (endpoint.slowMs * 1000).rounded() / 1000
      return endpoint
    }.sorted { ($0.totalMs, $0.calls, $1.endpoint) > ($1.totalMs, $1.calls, $0.endpoint) }
  }

  static func requestsReport(_ r: RequestTimes.Requests, budgetUs: Int64) -> RequestsReport {
    RequestsReport(
      requests: r.requests, statements: r.statements, maxStatements: r.maxStatements,
      p50Ms: ms(r.distribution.valueUs(atPercentile: 50)), p95Ms: ms(r.distribution.valueUs(atPercentile: 95)),
      maxMs: ms(r.maxUs), totalMs: ms(r.totalUs), overBudget: r.overBudget, budgetMs: ms(budgetUs))
  }

  /// A query's calls by endpoint, most time first, the calls past the kept endpoints last.
  static func endpointShares(_ times: EndpointTimes?) -> [EndpointShare]? {
    guard let times else { return nil }
    func share(_ name: String, _ t: EndpointTimes.Times) -> EndpointShare {
      EndpointShare(
        endpoint: name, calls: t.calls, totalMs: ms(t.totalUs), slowCalls: t.slowCalls, slowMs: ms(t.slowUs))
    }
    var shares = times.byEndpoint.map { share($0.key, $0.value) }
      .sorted { ($0.totalMs, $0.calls, $1.endpoint) > ($1.totalMs, $1.calls, $0.endpoint) }
    if times.others.calls > 0 { shares.append(share("(other endpoints)", times.others)) }
    return shares
  }

  /// The workload by kind of statement, each fingerprint's kind read from its normalized text; the folded line
  /// is a kind of its own.
  static func statementTypes(_ aggregator: StatementAggregator) -> [StatementTypeReport] {
    var byType: [StatementCategory: (fingerprints: Int, calls: Int, slow: Int, untimed: Int, us: Int64)] = [:]
    for query in aggregator.queries where query.calls + query.untimedCalls > 0 {
      let type = StatementCategory.of(query.normalized.isEmpty ? query.firstText : query.normalized)
      var entry = byType[type] ?? (0, 0, 0, 0, 0)
      entry.fingerprints += 1
      entry.calls += query.calls
      entry.slow += query.slowCalls
      entry.untimed += query.untimedCalls
      entry.us += query.totalUs
      byType[type] = entry
    }
    var types = byType.map {
      StatementTypeReport(
        type: $0.key.rawValue, fingerprints: $0.value.fingerprints, calls: $0.value.calls, slowCalls: $0.value.slow,
        untimedCalls: $0.value.untimed, totalMs: ms($0.value.us))
    }
    let folded = aggregator.folded
    if !folded.isEmpty {
      types.append(
        StatementTypeReport(
          type: "folded", fingerprints: folded.fingerprints, calls: folded.calls, slowCalls: folded.slowCalls,
          untimedCalls: folded.untimedCalls, totalMs: ms(folded.totalUs)))
    }
    return types.sorted { ($0.totalMs, $0.calls, $1.type) > ($1.totalMs, $1.calls, $0.type) }
  }

  /// Write counts come from the log, so a log that drops fast statements undercounts them; say so, and say
  /// whether this log looks filtered.
  static func writeCountNote(_ aggregator: StatementAggregator) -> String {
    let shortest = aggregator.queries.filter { $0.calls > 0 }.map(\.minUs).min()
    var note =
      "Reads and writes are counted from this log. A log filtered by log_min_duration_statement (> 0) misses "
      + "the fast INSERT/UPDATE/DELETE statements and so undercounts writes: set log_min_duration_statement = 0 "
      + "for a sample period, or log_statement = 'mod' to log every write."
    if let shortest, shortest >= 1000 {
      note += " This log looks filtered: its fastest statement took \(formatMs(ms(shortest))) ms."
    } else if shortest != nil {
      note += " This log does not look filtered (it has statements under 1 ms)."
    }
    return note
  }

  /// A figure as the report's sentences give it: whole numbers without a decimal point.
  public static func formatMs(_ value: Double) -> String {
    value == value.rounded() ? String(Int(value)) : String(value)
  }

  static func suggestion(_ s: IndexSuggestion, note: String) -> IndexSuggestionReport {
    let cost = s.writeCost
    let explanation = writeCostText(s) + " " + note
    return IndexSuggestionReport(
      table: s.table.description,
      columns: s.columns.map { $0.name + ($0.operatorClass.map { " " + $0 } ?? "") + ($0.descending ? " DESC" : "") },
      where: s.predicate, ddl: s.ddl, fingerprints: s.served.map(\.fingerprint.hex),
      served: s.served.map {
        ServedQuery(
          fingerprint: $0.fingerprint.hex, calls: $0.calls, slowCalls: $0.slowCalls, slowMs: ms($0.slowUs),
          totalMs: ms($0.totalUs), share: (($0.share * 1000).rounded()) / 1000)
      }, slowMs: ms(s.slowUs), totalMs: ms(s.totalUs), reasons: s.reasons, writeWarning: cost.warning?.rawValue,
      writeCost: WriteCostReport(
        reads: cost.reads, writes: cost.writes, inserts: cost.writesByKind[.insert] ?? 0,
        updates: cost.writesByKind[.update] ?? 0, deletes: cost.writesByKind[.delete] ?? 0,
        copies: cost.writesByKind[.copy] ?? 0, readsPerMinute: round1(cost.readsPerMinute),
        writesPerMinute: round1(cost.writesPerMinute), writeShare: (cost.writeShare * 1000).rounded() / 1000,
        hotBreakingUpdates: cost.hotBreakingUpdates.map {
          HotBreakingUpdate(fingerprint: $0.fingerprint.hex, columns: $0.columns, calls: $0.calls)
        }, indexEntryBytes: cost.indexEntryBytes, rowBytes: cost.rowBytes, warnings: cost.warnings.map(\.rawValue),
        explanation: explanation, indexWrites: cost.indexWrites, entriesPerMinute: round1(cost.entriesPerMinute),
        keyOrder: cost.keyOrder?.rawValue, keyOrderBasis: cost.keyOrderBasis,
        partialInserts: cost.partialInserts.map {
          PartialInsertsReport(
            matching: $0.matching, notMatching: $0.notMatching, estimated: $0.estimated, unknown: $0.unknown)
        }),
      confidence: s.confidence,
      validated: s.validation.map { v in
        ValidationReport(
          plans: v.plans.map {
            PlanCost(
              fingerprint: $0.fingerprint.hex, parameters: $0.parameters.rawValue, costBefore: $0.costBefore,
              costAfter: $0.costAfter, costAlone: $0.costAlone, usesIndex: $0.usesIndex,
              usesIndexAlone: $0.usesIndexAlone, generic: $0.generic)
          }, indexBytes: v.indexBytes, tableRows: v.tableRows, rejection: v.rejection)
      }, lowSelectivity: s.lowSelectivity)
  }

  static func round1(_ value: Double) -> Double { (value * 10).rounded() / 10 }

  /// Events per second over a span, to three decimals.
  static func rate(_ count: Int, over seconds: Double) -> Double { (Double(count) / seconds * 1000).rounded() / 1000 }

  /// The non-empty buckets of a histogram, for the report.
  static func buckets(_ histogram: LatencyHistogram) -> [HistogramBucket] {
    histogram.counts.enumerated().filter { $0.element > 0 }.map { bucket($0.offset, count: Int($0.element)) }
  }

  /// Bucket `index` of the latency histogram, its upper bound in milliseconds to the microsecond.
  static func bucket(_ index: Int, count: Int) -> HistogramBucket {
    HistogramBucket(upperMs: (LatencyHistogram.upperBoundUs(index) / 1000 * 1000).rounded() / 1000, count: count)
  }

  static let connectCostMs = AppAdvisor.connectCostMs
  /// Temporary files this large say work_mem is worth a look for their query.
  static let largeTempFileBytes: Int64 = 16 << 20

  static func counts(_ dictionary: [String: Int]) -> [NameCount] { NameCount.mostFirst(dictionary) }

  /// The server events section: each list sorted by its weight, ties by name, so the report is stable.
  static func events(_ aggregator: StatementAggregator, zone: DisplayZone = .utc) -> EventsReport {
    let a = aggregator.activity
    let lockWaits = a.lockWaits.map { key, w in
      LockWaitReport(
        fingerprint: key?.hex, waits: w.waits, waitedMs: ms(w.waitedUs), acquired: w.acquired,
        acquiredMs: ms(w.acquiredUs), longestMs: ms(w.longestUs), deadlocks: w.deadlocks, modes: counts(w.modes),
        exampleStatement: w.example, holder: w.holder)
    }.sorted { ($0.acquiredMs, $0.waits, $1.fingerprint ?? "") > ($1.acquiredMs, $1.waits, $0.fingerprint ?? "") }
    let tempFiles = a.tempFiles.map { key, t in
      TempFileReport(
        fingerprint: key?.hex, files: t.files, bytes: t.bytes, largestBytes: t.largestBytes,
        hint: t.largestBytes >= largeTempFileBytes
          ? "sorts or hashes spill \(t.largestBytes >> 20) MiB to disk: raise work_mem for this query "
            + "(SET LOCAL work_mem) or give it an index that avoids the sort" : nil)
    }.sorted { ($0.bytes, $1.fingerprint ?? "") > ($1.bytes, $0.fingerprint ?? "") }
    let c = a.checkpoints
    func maintenance(_ runs: [String: ServerActivity.Maintenance]) -> [MaintenanceReport] {
      runs.map {
        MaintenanceReport(
          table: $0.key, runs: $0.value.runs, elapsedMs: Double($0.value.elapsedMs),
          longestMs: Double($0.value.longestMs), tuplesRemoved: $0.value.tuplesRemoved)
      }.sorted { ($0.elapsedMs, $0.runs, $1.table) > ($1.elapsedMs, $1.runs, $0.table) }
    }
    let k = a.connections
    let seconds = max(
      1, Double((aggregator.summary.last?.epochMs ?? 0) - (aggregator.summary.first?.epochMs ?? 0)) / 1000)

    let connections = ConnectionReport(
      received: k.received, authorized: k.authorized, disconnections: k.disconnections,
      authenticationFailures: k.authenticationFailures, peakPerSecond: round1(k.arrivals.peakPerSecond),
      meanPerSecond: rate(k.received, over: seconds), byDatabase: counts(k.byDatabase),
      byUser: counts(k.byUser), byApplication: counts(k.byApplication), byHost: counts(k.byHost),
      meanSessionMs: k.disconnections > 0 ? round1(Double(k.sessionMs) / Double(k.disconnections)) : nil,
      sessionsUnderOneSecond: k.sessionsUnderOneSecond, sessionHistogram: buckets(k.sessionTimes),
      estimatedConnectMs: Double(k.sessionsUnderOneSecond) * connectCostMs,
      measuredConnectMs: k.connectTimesHaveMilliseconds ? Double(k.connectMs) : nil,
      timedConnections: k.connectTimesHaveMilliseconds ? k.connectsTimed : nil)
    return EventsReport(
      lockWaits: lockWaits,
      deadlocks: DeadlocksReport(
        count: a.deadlockCount,
        examples: a.deadlocks.map {
          DeadlockReport(
            time: $0.time.map(zone.stamp), detail: $0.detail, statement: $0.statement, fingerprint: $0.fingerprint?.hex)
        }),
      tempFiles: tempFiles,
      checkpoints: CheckpointReport(
        started: c.started, completed: c.completed, reasons: counts(c.reasons), buffersWritten: c.buffers,
        writeMs: Double(c.writeMs), syncMs: Double(c.syncMs), totalMs: Double(c.totalMs),
        longestMs: Double(c.longestMs),
        tooFrequentWarnings: c.tooFrequent),
      autovacuum: maintenance(a.autovacuums), autoanalyze: maintenance(a.autoanalyzes), connections: connections,
      cancellations: counts(a.cancellations), pgbouncer: pgbouncer(aggregator.pgbouncer, seconds: seconds))
  }

  static func pgbouncer(_ b: PgBouncerActivity, seconds: Double) -> PgBouncerReport? {
    guard b.lines > 0 else { return nil }
    let periods = Double(max(1, b.statsPeriods))
    let xacts = Double(b.xactsPerSecondSum)
    func weighted(_ sum: Int64) -> Double? { b.xactsPerSecondSum > 0 ? round1(Double(sum) / xacts) : nil }
    return PgBouncerReport(
      lines: b.lines, logins: b.logins, loginFailures: b.loginFailures, serverConnections: b.serverConnections,
      peakLoginsPerSecond: round1(b.arrivals.peakPerSecond), meanLoginsPerSecond: rate(b.logins, over: seconds),
      closes: counts(b.closes),
      problems: counts(b.problems), statsPeriods: b.statsPeriods,
      meanXactsPerSecond: round1(xacts / periods), peakXactsPerSecond: b.peakXactsPerSecond,
      meanQueriesPerSecond: round1(Double(b.queriesPerSecondSum) / periods),
      peakQueriesPerSecond: b.peakQueriesPerSecond, meanXactUs: weighted(b.xactUsWeighted),
      meanQueryUs: weighted(b.queryUsWeighted), meanWaitUs: weighted(b.waitUsWeighted),
      longestWaitUs: b.longestWaitUs)
  }

  static func grouped(_ n: Int) -> String { n.grouped }

  /// The write cost in words: what the figures say about this index.
  static func writeCostText(_ s: IndexSuggestion) -> String {
    let c = s.writeCost
    var parts: [String] = []
    let table = s.table.description
    let inserts = c.insertEntries
    let updates = c.indexWrites - inserts
    let perMinute = Int(c.entriesPerMinute.rounded())
    parts.append(
      "\(table): \(grouped(c.indexWrites)) of its \(grouped(c.writes)) writes in the log \(c.indexWrites == 1 ? "adds" : "add") "
        + "an entry to this index (\(grouped(inserts)) INSERT/COPY, \(grouped(updates)) UPDATEs setting its columns; "
        + "DELETEs add none), about \(grouped(perMinute)) \(perMinute == 1 ? "entry" : "entries") a minute, beside "
        + "\(grouped(c.reads)) reads.")
    if let partial = c.partialInserts, partial.total > 0 {
      var words =
        "Partial: of the table's \(grouped(partial.total)) INSERTs, "
        + "\(grouped(partial.matching)) add rows matching its predicate and \(grouped(partial.notMatching)) do not"
      if partial.estimated > 0 {
        words += " (\(grouped(partial.estimated)) judged from their sampled executions, their values changing)"
      }
      if partial.unknown > 0 {
        words +=
          "; \(grouped(partial.unknown)) whose values the log does not give (bind parameters, expressions, "
          + "defaults) \(partial.unknown == 1 ? "is" : "are") counted as adding an entry"
      }
      parts.append(words + ".")
    }
    for warning in c.warnings {
      switch warning {
      case .writeHeavy:
        parts.append("Write-heavy: the index's writes are as many as the table's reads, or more than 60 a minute.")
      case .breaksHot:
        let shapes = c.hotBreakingUpdates.map {
          "\($0.fingerprint.hex) sets \($0.columns.joined(separator: ", ")) (\(grouped($0.calls)) calls)"
        }
        parts.append(
          "Breaks HOT updates: " + shapes.joined(separator: "; ")
            + "; once the index holds a column they set, those UPDATEs write a new entry in every index of the table.")
      case .note:
        parts.append("Note: the index's writes are a sizeable share of this table's statements.")
      }
    }
    if let order = c.keyOrder, let basis = c.keyOrderBasis, c.indexWrites > 0 {
      parts.append(
        order == .appendOnly
          ? "Its leading column grows (\(basis)): new entries go to the rightmost page, the cheap case."
          : "Its leading column takes values in no order (\(basis)): each new entry lands on a page anywhere in the "
            + "index, the costly case.")
    }
    if let entry = c.indexEntryBytes, let row = c.rowBytes {
      parts.append(
        "Each new entry is about \(entry) bytes (\(Int((Double(entry) / Double(row) * 100).rounded()))% of a \(row)-byte row)."
      )
    }
    return parts.joined(separator: " ")
  }

  static func ms(_ us: Int64) -> Double { Double(us) / 1000 }

  static func query(
    from q: QueryStats, names interned: ByteInterner, errors: [Fingerprint: Int], zone: DisplayZone = .utc
  ) -> Query {
    func names(_ counts: NameCounts) -> [NameCount] {
      counts.map { NameCount(name: interned.string($0.0), calls: $0.1) }
        .sorted { ($0.calls, $1.name) > ($1.calls, $0.name) }
    }
    let timed = q.calls > 0
    let p = q.plans
    let plan =
      p.explained == 0
      ? nil
      : PlanReport(
        explained: p.explained,
        seqScans: p.seqScans.map {
          SeqScanReport(table: $0.key, scans: $0.value.scans, rowsRemoved: $0.value.rowsRemoved)
        }
        .sorted { ($0.rowsRemoved, $1.table) > ($1.rowsRemoved, $0.table) },
        sortMethods: counts(p.sortMethods), sortDiskKB: p.sortDiskKB, tempBlocksWritten: p.tempBlocksWritten,
        examplePlan: p.example, exampleMs: p.exampleDurationUs >= 0 ? ms(p.exampleDurationUs) : nil)
    let percentiles = timed ? q.distribution.valuesUs(atPercentiles: [50, 95, 99]) : nil
    var query = Query(
      fingerprint: q.fingerprint.hex, fingerprintSource: q.fingerprint.source.rawValue, parseError: q.parseError,
      normalized: q.normalized, example: q.example, exampleParameters: q.exampleParameters,
      exampleMs: q.exampleDurationUs >= 0 ? ms(q.exampleDurationUs) : nil, calls: q.calls, slowCalls: q.slowCalls,
      totalMs: ms(q.totalUs), slowMs: ms(q.slowTotalUs), minMs: timed ? ms(q.minUs) : nil,
      maxMs: timed ? ms(q.maxUs) : nil, meanMs: timed ? (q.meanUs / 1000 * 1000).rounded() / 1000 : nil,
      p50Ms: percentiles.map { ms($0[0]) }, p95Ms: percentiles.map { ms($0[1]) },
      p99Ms: percentiles.map { ms($0[2]) }, prepareMs: ms(q.prepareUs),
      untimedCalls: q.untimedCalls, errors: errors[q.fingerprint] ?? 0, databases: names(q.databases),
      users: names(q.users), applications: names(q.applications), firstSeen: q.firstSeen.map(zone.stamp),
      lastSeen: q.lastSeen.map(zone.stamp))
    query.plan = plan
    query.endpoints = endpointShares(q.endpoints)
    if timed {
      query.histogram = q.distribution.latencyBuckets.sorted { $0.key < $1.key }.map { bucket($0.key, count: $0.value) }
    }
    return query
  }
}
