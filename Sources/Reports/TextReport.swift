// The terminal report: a summary, then the top queries by total time, by calls and by slowest run.
import LogReading

public struct TextReport {
  public var top: Int
  /// The columns statements are clipped to: the terminal's, `COLUMNS`, or 100 when the report goes to a file or
  /// a pipe.
  public var width: Int
  /// Whether the query tables must fit `width` too, leaving out columns (a terminal, or `COLUMNS` given); a
  /// file keeps them all.
  public var fitsTables: Bool
  /// Whether section titles are set in bold (a terminal, without `NO_COLOR`).
  public var colour: Bool

  public init(top: Int = 10, width: Int = 100, fitsTables: Bool = false, colour: Bool = false) {
    self.top = top
    self.width = max(40, width)
    self.fitsTables = fitsTables
    self.colour = colour
  }

  /// The report, with every control character that came from the log shown as a visible escape.
  public func render(_ report: AnalysisReport) -> String {
    var text = TerminalText.escaped(layOut(report))
    if fitsTables { text = fitted(text) }
    guard colour else { return text }
    // Section titles are the lines that start at the margin.
    return text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
      line.isEmpty || line.first == " " || line.allSatisfy({ $0 == "=" }) ? String(line) : "\u{1B}[1m\(line)\u{1B}[0m"
    }.joined(separator: "\n")
  }

  func layOut(_ report: AnalysisReport) -> String {
    var out = ""
    func line(_ text: String = "") { out += text + "\n" }
    let s = report.summary
    let i = report.input
    line("pgsift report")
    line(String(repeating: "=", count: 13))
    line()
    line("Input")
    for file in i.files {
      var what =
        file.format?.rawValue ?? (file.error != nil ? "unreadable" : file.resumedAt > 0 ? "nothing new" : "empty")
      if let prefix = file.logLinePrefix { what += ", log_line_prefix '\(prefix)'" }
      if file.compressed { what += ", \(file.compression?.rawValue ?? "compressed")" }
      let counts = "\(group(file.lines)) lines, \(group(file.entries)) records"
      // On a narrow terminal the counts go to a line of their own (a prefix is never broken: its spaces count).
      if fitsTables && file.path.count + what.count + counts.count + 6 > width {
        line("  \(file.path): \(what)")
        line("    \(counts)")
      } else {
        line("  \(file.path): \(what); \(counts)")
      }
      if let inference = file.prefixInference {
        line(
          "    prefix inferred (\(inference.confidence)): reads \(group(inference.matchedRecords)) of "
            + "\(group(inference.sampledRecords)) sampled records")
        for doubt in inference.doubts { line("    doubt: " + clip(doubt, width - 11)) }
      }
      if file.otherProgramLines > 0 {
        let names = file.otherPrograms.prefix(4).map { "\($0.name) \(group($0.calls))" }.joined(separator: ", ")
        line("    other programs' lines passed over: \(group(file.otherProgramLines)) (\(names))")
      }
      if let error = file.error { line("    stopped early: \(error)") }
    }
    line("  skipped lines: \(group(i.skippedLines))")
    if let filters = i.filters {
      let records = i.files.reduce(0) { $0 + $1.filteredRecords }
      line(
        "  filters: \(filters); \(group(records)) records and \(group(s.filteredStatements)) statements left out")
    }
    if !i.problems.isEmpty {
      let problems = i.problems.sorted { $0.key < $1.key }.map { "\($0.key) \(group($0.value))" }
      line("  problems: " + problems.joined(separator: ", "))
    }
    line()
    line("Summary")
    let zone = report.timeZone.flatMap { $0 == "UTC" ? nil : "  (times in \($0))" } ?? ""
    line("  period:           \(s.first ?? "-") .. \(s.last ?? "-")\(zone)")
    line("  statements:       \(group(s.statements)) timed, \(group(s.untimedStatements)) without duration")
    line(
      "  slow (>= \(formatMs(report.thresholdMs)) ms): \(group(s.slowStatements))"
        + (s.statements > 0 ? " (\(percent(s.slowStatements, s.statements)))" : ""))
    line("  total time:       \(formatDuration(s.totalMs))")
    line(
      "  fingerprints:     \(group(s.fingerprints))"
        + (s.unparsedFingerprints > 0 ? " (\(s.unparsedFingerprints) not parsed by libpg_query)" : ""))
    if let folded = s.folded {
      line(
        "  folded:           \(group(folded.fingerprints)) least used fingerprints, past --max-fingerprints "
          + "\(folded.budget.map(group) ?? "-"): \(group(folded.calls + folded.untimedCalls)) executions, "
          + "\(formatDuration(folded.totalMs)) (in the totals above, not in the tables)")
    }
    line("  errors:           \(group(s.errors))")
    let timed = report.queries.filter { $0.calls > 0 }
    if let why = timed.isEmpty && s.untimedStatements == 0 ? Self.nothingExplained(report) : nil {
      line()
      line(why)
    } else if timed.isEmpty && i.format != "pgbouncer" {
      line()
      line("No statement in this input has a duration. Set log_min_duration_statement (0 logs every statement,")
      line("or 30ms only the slow ones) to see timings; log_statement alone gives only counts.")
      let untimed = report.queries.filter { $0.untimedCalls > 0 }
        .sorted { ($0.untimedCalls, $1.fingerprint) > ($1.untimedCalls, $0.fingerprint) }
      if !untimed.isEmpty {
        line()
        line("Most frequent statements (logged without duration)")
        for (rank, q) in untimed.prefix(top).enumerated() {
          line(pad(String(rank + 1), 4) + pad(group(q.untimedCalls), 11) + "  " + q.fingerprint)
          line("        " + clip(oneLine(q.normalized), width - 8))
        }
      }
    }
    section(
      &out, "Top queries by total time", timed.sorted { ($0.totalMs, $1.fingerprint) > ($1.totalMs, $0.fingerprint) },
      total: s.totalMs)
    section(
      &out, "Top queries by calls",
      timed.sorted { ($0.calls, $0.totalMs, $1.fingerprint) > ($1.calls, $1.totalMs, $0.fingerprint) }, total: s.totalMs
    )
    section(
      &out, "Slowest single runs", timed.sorted { ($0.maxMs ?? 0, $1.fingerprint) > ($1.maxMs ?? 0, $0.fingerprint) },
      total: s.totalMs)
    typesSection(&out, report)
    timeBySection(&out, report)
    intervalSection(&out, report)
    endpointsSection(&out, report)
    indexSection(&out, report)
    if !report.errors.isEmpty {
      line()
      line("Errors")
      for error in report.errors.prefix(top) {
        let code = error.sqlState.map { " \($0)" } ?? ""
        line("  \(group(error.count)) x \(error.severity)\(code): \(clip(error.message, width - 14 - code.count))")
        if let statement = error.exampleStatement { line("      statement: \(clip(oneLine(statement), width - 17))") }
      }
    }
    planSection(&out, report)
    appSection(&out, report)
    if let events = report.events { eventsSection(&out, events) }
    return out
  }

  /// The patterns of the application's code, most time first, each with its fix.
  private func appSection(_ out: inout String, _ report: AnalysisReport) {
    guard let advice = report.appAdvice, !advice.isEmpty else { return }
    out += "\nApplication patterns\n"
    for item in advice.prefix(top) {
      out += "  \(Self.appKindTitle(item.kind)): " + wrap(item.finding, indent: 6) + "\n"
      if !item.fingerprints.isEmpty { out += "      queries: \(item.fingerprints.joined(separator: " then "))\n" }
      out += "      fix: " + wrap(item.fix, indent: 11) + "\n"
    }
  }

  static func appKindTitle(_ kind: String) -> String {
    [
      "n_plus_one": "N+1 queries", "row_by_row_write": "Row-by-row writes", "connection_churn": "Connection churn",
      "wide_read": "Wide reads", "deep_offset": "Deep OFFSET pages",
    ][kind] ?? kind
  }

  /// What auto_explain's plans show: the sequential scans that threw most rows away, and sorts on disk.
  private func planSection(_ out: inout String, _ report: AnalysisReport) {
    let planned = report.queries.compactMap { q in q.plan.map { (q, $0) } }
    guard !planned.isEmpty else { return }
    out += "\nPlans (auto_explain: \(group(planned.reduce(0) { $0 + $1.1.explained })) plans)\n"
    let ranked = planned.sorted {
      ($0.1.seqScans.reduce(0) { $0 + $1.rowsRemoved }, $1.0.fingerprint)
        > ($1.1.seqScans.reduce(0) { $0 + $1.rowsRemoved }, $0.0.fingerprint)
    }
    for (q, p) in ranked.prefix(top) where !p.seqScans.isEmpty || p.sortDiskKB > 0 {
      let scans = p.seqScans.map { "seq scan on \($0.table) x\($0.scans), \(group(Int($0.rowsRemoved))) rows removed" }
      let sorts = p.sortDiskKB > 0 ? ["sorts wrote \(group(Int(p.sortDiskKB))) kB to disk"] : []
      out += "  \(q.fingerprint): " + (scans + sorts).joined(separator: "; ") + "\n"
      out += "      " + clip(oneLine(q.normalized), width - 6) + "\n"
    }
  }

  /// The server's own events, each part only when the log had some.
  private func eventsSection(_ out: inout String, _ e: EventsReport) {
    func line(_ text: String = "") { out += text + "\n" }
    func names(_ list: [NameCount]) -> String { list.listed(5) }
    if !e.lockWaits.isEmpty || e.deadlocks.count > 0 {
      line()
      line("Lock waits")
      for w in e.lockWaits.prefix(top) {
        line(
          "  \(group(w.waits)) waits, \(group(w.acquired)) acquired after \(formatDuration(w.acquiredMs)) in all "
            + "(longest \(formatDuration(w.longestMs))), \(w.deadlocks) deadlocked; \(names(w.modes)): "
            + (w.fingerprint ?? "no statement"))
        if let statement = w.exampleStatement { line("      statement: \(clip(oneLine(statement), width - 17))") }
        if let holder = w.holder { line("      \(clip(oneLine(holder), width - 6))") }
      }
      if e.deadlocks.count > 0 {
        line("  deadlocks: \(group(e.deadlocks.count))")
        for d in e.deadlocks.examples.prefix(top) {
          for part in d.detail.split(separator: "\n") { line("      \(clip(String(part), width - 6))") }
        }
      }
    }
    if !e.tempFiles.isEmpty {
      line()
      line("Temporary files")
      for t in e.tempFiles.prefix(top) {
        line(
          "  \(group(t.files)) files, \(bytes(t.bytes)) (largest \(bytes(t.largestBytes))): "
            + (t.fingerprint ?? "no statement"))
        if let hint = t.hint { line("      \(clip(hint, width - 6))") }
      }
    }
    let c = e.checkpoints
    if c.started > 0 || c.completed > 0 || c.tooFrequentWarnings > 0 {
      line()
      line("Checkpoints")
      line(
        "  \(group(c.completed)) completed (\(names(c.reasons))); \(group(Int(c.buffersWritten))) buffers written; "
          + "write \(formatDuration(c.writeMs)), sync \(formatDuration(c.syncMs)), longest \(formatDuration(c.longestMs))"
      )
      if c.tooFrequentWarnings > 0 {
        line("  \(c.tooFrequentWarnings) 'checkpoints are occurring too frequently' warnings: raise max_wal_size")
      }
    }
    for (title, runs) in [("Autovacuum", e.autovacuum), ("Autoanalyze", e.autoanalyze)] where !runs.isEmpty {
      line()
      line(title)
      for r in runs.prefix(top) {
        line(
          "  \(group(r.runs)) runs, \(formatDuration(r.elapsedMs))"
            + (title == "Autovacuum" ? ", \(group(Int(r.tuplesRemoved))) tuples removed" : "") + ": \(r.table)")
      }
    }
    let k = e.connections
    if k.received > 0 || k.disconnections > 0 || k.authenticationFailures > 0 {
      line()
      line("Connections")
      line(
        "  \(group(k.received)) received, \(group(k.authorized)) authorized, \(group(k.disconnections)) ended, "
          + "\(group(k.authenticationFailures)) authentication failures; peak \(k.peakPerSecond)/s, "
          + "mean \(k.meanPerSecond)/s")
      if let mean = k.meanSessionMs {
        line(
          "  sessions: mean \(formatDuration(mean)), \(group(k.sessionsUnderOneSecond)) under one second "
            + "(about \(group(Int(k.estimatedConnectMs.rounded()))) ms spent connecting, at about 20 ms each: a pooler "
            + "would save it)")
      }
      if !k.byDatabase.isEmpty { line("  by database: \(names(k.byDatabase))") }
      if !k.byUser.isEmpty { line("  by user: \(names(k.byUser))") }
      if !k.byApplication.isEmpty { line("  by application: \(names(k.byApplication))") }
      if !k.byHost.isEmpty { line("  by host: \(names(k.byHost))") }
    }
    if !e.cancellations.isEmpty {
      line()
      line("Cancelled statements: " + names(e.cancellations))
    }
    if let b = e.pgbouncer {
      line()
      line("PgBouncer")
      line(
        "  \(group(b.logins)) client logins (peak \(b.peakLoginsPerSecond)/s, mean \(b.meanLoginsPerSecond)/s), "
          + "\(group(b.loginFailures)) failed; \(group(b.serverConnections)) new server connections")
      if b.statsPeriods > 0 {
        line(
          "  \(b.statsPeriods) stats periods: \(b.meanXactsPerSecond) transactions/s (peak \(b.peakXactsPerSecond)), "
            + "\(b.meanQueriesPerSecond) queries/s; mean wait for a server \(b.meanWaitUs.map { "\($0) us" } ?? "-"), "
            + "longest \(b.longestWaitUs) us")
      }
      if !b.closes.isEmpty { line("  clients closed: \(names(b.closes))") }
      if !b.problems.isEmpty { line("  warnings and errors: \(names(b.problems))") }
    }
  }

  private func bytes(_ n: Int64) -> String {
    n >= 1 << 30
      ? "\((Double(n) / Double(1 << 30) * 10).rounded() / 10) GiB"
      : n >= 1 << 20 ? "\((Double(n) / Double(1 << 20) * 10).rounded() / 10) MiB" : "\(group(Int(n))) bytes"
  }

  private func indexSection(_ out: inout String, _ report: AnalysisReport) {
    guard
      !report.indexSuggestions.isEmpty || !report.unusablePredicates.isEmpty
        || !report.rejectedIndexSuggestions.isEmpty
    else { return }
    out += "\nIndex suggestions"
    let validated = report.indexSuggestions.contains { $0.validated != nil }
    out += validated ? " (checked against the database with HypoPG)\n" : " (from the log alone: heuristic)\n"
    for (rank, s) in report.indexSuggestions.prefix(top).enumerated() {
      out += pad(String(rank + 1), 4) + ". " + s.ddl + "\n"
      let served = s.served.prefix(3).map {
        "\($0.fingerprint) (\(group($0.calls)) calls, \(group($0.slowCalls)) slow)"
      }
      let split =
        s.served.contains { $0.share < 1 } ? " (a query served with another suggestion split between them)" : ""
      out +=
        "      serves \(s.served.count) \(s.served.count == 1 ? "query" : "queries"), "
        + "\(formatMs(s.totalMs)) ms at stake, \(formatMs(s.slowMs)) at or over the threshold\(split): "
        + served.joined(separator: ", ") + (s.served.count > 3 ? ", …" : "") + "\n"
      out += "      why: " + s.reasons.joined(separator: "; ") + "\n"
      if let validation = s.validated {
        for plan in validation.plans {
          out +=
            "      plan cost \(plan.fingerprint) (\(plan.parameters)): \(formatMs(plan.costBefore)) -> "
            + "\(formatMs(plan.costAfter)) with every suggestion, \(formatMs(plan.costAlone)) with this one alone\n"
        }
        if let bytes = validation.indexBytes { out += "      hypothetical size: \(group(Int(bytes / 1024))) kB\n" }
      }
      let warning = s.writeWarning.map { "[\($0)] " } ?? ""
      let explanation = s.writeCost.explanation.replacingOccurrences(of: " " + report.writeCountNote, with: "")
      out += "      " + wrap("write cost: " + warning + explanation, indent: 18) + "\n"
    }
    if !report.rejectedIndexSuggestions.isEmpty {
      out += "  Rejected by the planner (--dsn):\n"
      for s in report.rejectedIndexSuggestions.prefix(top) {
        out += "    " + wrap(s.ddl + " — " + (s.validated?.rejection ?? ""), indent: 6) + "\n"
      }
    }
    if let assumed = report.assumedPrimaryKeys, !assumed.isEmpty {
      out +=
        "  "
        + wrap(
          "Not suggested: \(assumed.joined(separator: ", ")), taken for primary keys by ORM convention (no schema "
            + "gives their tables); --schema makes it certain.", indent: 2) + "\n"
    }
    if !report.unusablePredicates.isEmpty {
      out += "\nPredicates no btree index can serve as written\n"
      for finding in report.unusablePredicates.prefix(top) {
        out += "  - \(finding.table): \(finding.reason)\n"
        out +=
          "      in \(finding.fingerprints.prefix(3).joined(separator: ", ")); \(formatMs(finding.slowMs)) ms slow\n"
      }
    }
    out += "\n" + wrap(report.writeCountNote, indent: 0) + "\n"
  }

  /// On a terminal (or with COLUMNS), the lines wider than it broken at spaces, each continued under its own
  /// text (two columns further in); a quoted log_line_prefix is left whole, since its spaces count.
  func fitted(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
      guard line.count > width, !line.contains("log_line_prefix '") else { return String(line) }
      let margin = line.prefix { $0 == " " }.count
      return String(repeating: " ", count: margin)
        + wrap(String(line.dropFirst(margin)), indent: margin + 2, first: width - margin)
    }.joined(separator: "\n")
  }

  /// Wraps text at the report width, continuing lines at `indent`.
  func wrap(_ text: String, indent: Int, first: Int? = nil) -> String {
    var lines: [String] = []
    var current = ""
    var limit = max(40, first ?? width - indent)
    for word in text.split(separator: " ") {
      if !current.isEmpty && current.count + 1 + word.count > limit {
        lines.append(current)
        current = String(word)
        limit = max(40, width - indent)
      } else {
        current += (current.isEmpty ? "" : " ") + word
      }
    }
    if !current.isEmpty { lines.append(current) }
    return lines.joined(separator: "\n" + String(repeating: " ", count: indent))
  }

  /// A column of the query tables: its title, its narrowest width (the space before it included), its cells.
  private struct Column {
    var title: String
    var width: Int
    var cell: (Int, Query) -> String
  }

  /// The query table's columns, each as wide as its widest value (so large totals never run together), the
  /// optional ones left out, least useful first, until the rows fit the width.
  private func columns(_ queries: ArraySlice<Query>, total: Double) -> [(Column, Int)] {
    let all = [
      Column(title: "#", width: 4) { rank, _ in String(rank + 1) },
      Column(title: "calls", width: 11) { _, q in group(q.calls) },
      Column(title: "total ms", width: 13) { _, q in formatMs(q.totalMs) },
      Column(title: "share", width: 8) { _, q in
        formatPercent(total > 0 ? q.totalMs / total * 100 : 0)
      },
      Column(title: "mean ms", width: 11) { _, q in formatMs(q.meanMs ?? 0) },
      Column(title: "p95 ms", width: 11) { _, q in formatMs(q.p95Ms ?? 0) },
      Column(title: "max ms", width: 11) { _, q in formatMs(q.maxMs ?? 0) },
    ]
    var sized = all.map { column in
      let widest = queries.enumerated().map { column.cell($0.offset, $0.element).count }.max() ?? 0
      return (column, max(column.width, widest + 2, column.title.count + 2))
    }
    // Left out first: the share (the total says it), then the max, then the mean.
    for title in ["share", "max ms", "mean ms"] where fitsTables && sized.reduce(18, { $0 + $1.1 }) > width {
      sized.removeAll { $0.0.title == title }
    }
    return sized
  }

  private func section(_ out: inout String, _ title: String, _ queries: [Query], total: Double) {
    guard !queries.isEmpty else { return }
    let shown = queries.prefix(top)
    let columns = columns(shown, total: total)
    out += "\n\(title)\n"
    out += columns.map { pad($0.0.title, $0.1) }.joined() + "  fingerprint\n"
    for (rank, q) in shown.enumerated() {
      out += columns.map { pad($0.0.cell(rank, q), $0.1) }.joined() + "  " + q.fingerprint + "\n"
      out += "        " + clip(oneLine(q.normalized), width - 8) + "\n"
      if let shares = q.endpoints, !shares.isEmpty {
        let listed = shares.prefix(3).map { "\($0.endpoint) \(group($0.calls))" }.joined(separator: ", ")
        let untagged = q.calls - shares.reduce(0) { $0 + $1.calls }
        out +=
          "        "
          + clip(
            "from: " + listed + (shares.count > 3 ? ", …" : "") + (untagged > 0 ? "; \(group(untagged)) untagged" : ""),
            width - 8) + "\n"
      }
    }
  }

  func oneLine(_ text: String) -> String {
    text.split(whereSeparator: { $0 == "\n" || $0 == "\t" || $0 == " " }).joined(separator: " ")
  }

  func clip(_ text: String, _ limit: Int) -> String {
    text.count <= limit ? text : String(text.prefix(max(limit - 1, 1))) + "…"
  }

  /// The workload by kind of statement; each column as wide as its widest value.
  private func typesSection(_ out: inout String, _ report: AnalysisReport) {
    guard let types = report.statementTypes, !types.isEmpty else { return }
    let calls = types.reduce(0) { $0 + $1.calls + $1.untimedCalls }
    let total = types.reduce(0) { $0 + $1.totalMs }
    let rows =
      [["type", "calls", "% calls", "total ms", "% time", "slow", "fingerprints"]]
      + types.map {
        [
          $0.type, group($0.calls + $0.untimedCalls), calls > 0 ? percent($0.calls + $0.untimedCalls, calls) : "-",
          formatMs($0.totalMs), total > 0 ? formatPercent($0.totalMs / total * 100) : "-", group($0.slowCalls),
          group($0.fingerprints),
        ]
      }
    out += "\nStatements by type\n" + aligned(rows, dropping: ["fingerprints", "% calls"])
  }

  /// Rows of cells, each column as wide as its widest cell: the first to the left, the others to the right. On a
  /// terminal (or with COLUMNS) the columns named in `dropping` (by their header) go, in that order, until the
  /// table fits the width.
  private func aligned(_ rows: [[String]], dropping: [String]) -> String {
    var rows = rows
    func tableWidth() -> Int {
      (0..<(rows.first?.count ?? 0)).reduce(0) { sum, column in
        sum + 2 + (rows.map { $0[column].count }.max() ?? 0)
      }
    }
    for title in dropping where fitsTables && tableWidth() > width {
      guard let column = rows.first?.firstIndex(of: title) else { continue }
      rows = rows.map { row in
        var row = row
        row.remove(at: column)
        return row
      }
    }
    return aligned(rows)
  }

  /// Rows of cells, each column as wide as its widest cell: the first to the left, the others to the right.
  private func aligned(_ rows: [[String]]) -> String {
    let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
      let cells = row.enumerated().map { column, text in
        column == 0 ? text + String(repeating: " ", count: widths[0] - text.count) : pad(text, widths[column])
      }
      return "  " + cells.joined(separator: "  ") + "\n"
    }.joined()
  }

  /// The workload by database, user, application and host: each the log carries, its five names with the most
  /// time.
  private func timeBySection(_ out: inout String, _ report: AnalysisReport) {
    guard let by = report.timeBy else { return }
    let total = report.summary.totalMs
    var rows: [[String]] = []
    for (field, list) in [
      ("database", by.database), ("user", by.user), ("application", by.application), ("host", by.host),
    ]
    where !(list.isEmpty || (list.count == 1 && list[0].name.isEmpty)) {
      rows.append([field, "calls", "total ms", "% time", "slow"])
      for entry in list.prefix(5) {
        rows.append([
          "  " + (entry.name.isEmpty ? "(none)" : entry.name), group(entry.calls), formatMs(entry.totalMs),
          total > 0 ? formatPercent(entry.totalMs / total * 100) : "-", group(entry.slowCalls),
        ])
      }
      if list.count > 5 { rows.append(["  … \(list.count - 5) more", "", "", "", ""]) }
    }
    guard !rows.isEmpty else { return }
    out += "\nTime by database, user, application and host\n" + aligned(rows)
  }

  /// The interval table: statements, slow ones, time, p95, errors, connections and sessions per row of a round
  /// interval, labelled by its local start (the time of day alone when every row is on one day).
  private func intervalSection(_ out: inout String, _ report: AnalysisReport) {
    guard let table = report.intervals, table.rows.count > 1 else { return }
    let rows = table.rows
    let oneDay = Set(rows.map { $0.start.prefix(10) }).count == 1
    let seconds = table.intervalSeconds.truncatingRemainder(dividingBy: 60) != 0
    func label(_ start: String) -> String {
      let chars = Array(start)
      guard chars.count >= 19 else { return start }
      let time = String(chars[11..<(seconds ? 19 : 16)])
      return oneDay ? time : String(chars[5..<10]) + " " + time
    }
    let connections = rows.contains { $0.connections > 0 }
    let sessions = rows.contains { $0.sessions > 0 }
    let header =
      [oneDay ? "from \(rows[0].start.prefix(10))" : "from", "statements", "slow", "total ms", "p95 ms", "errors"]
      + (connections ? ["connections"] : []) + (sessions ? ["sessions"] : [])
    let body = rows.map { r in
      [
        label(r.start), group(r.statements), group(r.slowStatements), formatMs(r.totalMs),
        r.statements > 0 ? formatMs(r.p95Ms) : "-", group(r.errors),
      ]
        + (connections ? [group(r.connections)] : []) + (sessions ? [group(r.sessions)] : [])
    }
    let edges = table.exact ? "" : ", edges approximate"
    out +=
      "\nOver time (rows of \(Self.interval(table.intervalSeconds))\(edges))\n"
      + aligned([header] + body, dropping: ["total ms", "sessions", "connections"])
  }

  /// `30 s`, `5 min`, `1 h`, `1 d`.
  static func interval(_ seconds: Double) -> String {
    let s = Int(seconds)
    if s % 86_400 == 0 { return "\(s / 86_400) d" }
    if s % 3_600 == 0 { return "\(s / 3_600) h" }
    if s % 60 == 0 { return "\(s / 60) min" }
    return "\(s) s"
  }

  /// The workload by the endpoint the statements' tags name (sqlcommenter, Rails QueryLogs); columns as wide as
  /// their widest value.
  private func endpointsSection(_ out: inout String, _ report: AnalysisReport) {
    if let r = report.requestsWithoutEndpoint {
      out +=
        "\nRequests whose tags name no endpoint (traceparent only): \(group(r.requests)), "
        + "\(formatOne(Double(r.statements) / Double(max(1, r.requests)))) statements each, database time p95 "
        + "\(formatMs(r.p95Ms)) ms, max \(formatMs(r.maxMs)) ms, \(group(r.overBudget)) at or over "
        + "\(formatMs(r.budgetMs)) ms\n"
    }
    guard let endpoints = report.endpoints, !endpoints.isEmpty else { return }
    let total = report.summary.totalMs
    // Requests, where the tags carry a traceparent: how many, database time per request, how many over budget.
    let traced = endpoints.contains { $0.requests != nil }
    let budget = endpoints.compactMap(\.requests?.budgetMs).first.map(formatMs) ?? ""
    let rows =
      [
        ["endpoint", "calls", "total ms", "% time", "slow", "queries"]
          + (traced ? ["requests", "stmts/req", "p95 ms/req", "max ms/req", "over \(budget) ms"] : [])
      ]
      + endpoints.prefix(top).map { e in
        [
          e.endpoint, group(e.calls), formatMs(e.totalMs), total > 0 ? formatPercent(e.totalMs / total * 100) : "-",
          group(e.slowCalls), group(e.fingerprints.count),
        ]
          + (!traced
            ? []
            : e.requests.map { r in
              [
                group(r.requests), r.requests > 0 ? formatOne(Double(r.statements) / Double(r.requests)) : "-",
                formatMs(r.p95Ms), formatMs(r.maxMs), group(r.overBudget),
              ]
            } ?? ["-", "-", "-", "-", "-"])
      }
    out +=
      "\nTime by endpoint (query tags)\n"
      + aligned(rows, dropping: ["% time", "max ms/req", "stmts/req", "queries", "slow"])
    if endpoints.count > top { out += "  … \(endpoints.count - top) more endpoints in the JSON report\n" }
  }

  func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
  }

  func group(_ n: Int) -> String { ReportBuilder.grouped(n) }

  func formatMs(_ value: Double) -> String {
    let thousandths = Int((value * 1000).rounded())
    let whole = thousandths / 1000
    let fraction = String(thousandths % 1000)
    return group(whole) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
  }

  func formatOne(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(group(tenths / 10)).\(tenths % 10)"
  }

  func formatPercent(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)%"
  }

  func percent(_ part: Int, _ whole: Int) -> String {
    formatPercent(Double(part) / Double(whole) * 100)
  }

  /// Why a report has no statement, when the cause is not the server's settings: nothing could be read, nothing
  /// was new since the last run, every record was outside the time window, or the filters left nothing.
  static func nothingExplained(_ report: AnalysisReport) -> String? {
    let files = report.input.files
    if !files.isEmpty, files.allSatisfy({ $0.error != nil && $0.bytes == 0 }) {
      let reasons = files.prefix(3).map { "\($0.path): \($0.error ?? "")" }.joined(separator: "; ")
      return "Nothing was read: \(reasons)."
    }
    if report.input.entries == 0, !files.isEmpty, files.allSatisfy({ $0.resumedAt > 0 || $0.duplicateOf != nil }) {
      return "Nothing new since the last run (--state): every file was read up to where it ends."
    }
    let outside = files.reduce(0) { $0 + $1.outsideWindow }
    if outside > 0 && report.input.entries == outside {
      return "Every record (\(outside)) is outside the time window of --since, --until or --last."
    }
    if let filters = report.input.filters {
      return "No statement is left after the filters (\(filters)): widen them to see timings."
    }
    return nil
  }

  func formatDuration(_ ms: Double) -> String {
    let seconds = ms / 1000
    if seconds < 120 { return "\(formatMs(ms)) ms" }
    let minutes = Int(seconds / 60)
    return "\(formatMs(ms)) ms (\(minutes / 60)h\(minutes % 60)m)"
  }
}
