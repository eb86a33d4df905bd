// The HTML report's server events section: lock waits and deadlocks, temporary files, checkpoints, autovacuum,
// connections and sessions, cancelled statements; the same figures as the JSON `events` object.
import LogReading

extension HTMLReport {
  func events(_ r: AnalysisReport) -> String {
    var html = "<section id=\"events\"><h2>Server events</h2>"
    guard let e = r.events else { return html + "<p>This report has no server events.</p></section>\n" }
    func table(_ headings: [String], numeric: Set<Int> = [], _ rows: [[String]]) -> String {
      var out = "<div class=\"scroll\"><table class=\"sortable\"><thead><tr>"
      for (i, h) in headings.enumerated() {
        out += numeric.contains(i) ? "<th data-numeric=\"1\">\(h)</th>" : "<th>\(h)</th>"
      }
      out += "</tr></thead><tbody>"
      for row in rows { out += "<tr>" + row.map { "<td>\($0)</td>" }.joined() + "</tr>" }
      return out + "</tbody></table></div>"
    }
    func names(_ list: [NameCount]) -> String { Self.escape(list.listed(8)) }
    func sql(_ text: String?) -> String { "<code class=\"sql\">\(Self.highlight(Self.clip(text ?? "", 300)))</code>" }
    var empty = true
    if !e.lockWaits.isEmpty || e.deadlocks.count > 0 {
      empty = false
      html += "<h3>Lock waits</h3>"
      html += table(
        ["fingerprint", "waits", "acquired", "waited in all (ms)", "longest (ms)", "deadlocks", "modes", "statement"],
        numeric: [1, 2, 3, 4, 5],
        e.lockWaits.map {
          [
            Self.escape($0.fingerprint ?? "-"), Self.group($0.waits), Self.group($0.acquired),
            Self.number($0.acquiredMs),
            Self.number($0.longestMs), Self.group($0.deadlocks), names($0.modes), sql($0.exampleStatement),
          ]
        })
      if e.deadlocks.count > 0 {
        html += "<p>\(Self.group(e.deadlocks.count)) deadlocks.</p>"
        for d in e.deadlocks.examples.prefix(10) {
          html += "<pre>\(Self.escape(d.time ?? ""))\n\(Self.escape(d.detail))</pre>"
        }
      }
    }
    if !e.tempFiles.isEmpty {
      empty = false
      html += "<h3>Temporary files</h3>"
      html += table(
        ["fingerprint", "files", "MiB", "largest MiB", "hint"], numeric: [1, 2, 3],
        e.tempFiles.map {
          [
            Self.escape($0.fingerprint ?? "-"), Self.group($0.files), Self.f(Double($0.bytes) / 1_048_576),
            Self.f(Double($0.largestBytes) / 1_048_576), Self.escape($0.hint ?? ""),
          ]
        })
    }
    let c = e.checkpoints
    if c.started > 0 || c.completed > 0 || c.tooFrequentWarnings > 0 {
      empty = false
      html +=
        "<h3>Checkpoints</h3><p>\(Self.group(c.completed)) completed (\(names(c.reasons))); "
        + "\(Self.group(Int(c.buffersWritten))) buffers written; write \(Self.number(c.writeMs)) ms, "
        + "sync \(Self.number(c.syncMs)) ms, longest \(Self.number(c.longestMs)) ms; "
        + "\(c.tooFrequentWarnings) ‘too frequently’ warnings.</p>"
    }
    for (title, runs) in [("Autovacuum", e.autovacuum), ("Autoanalyze", e.autoanalyze)] where !runs.isEmpty {
      empty = false
      html += "<h3>\(title)</h3>"
      html += table(
        ["table", "runs", "elapsed (ms)", "longest (ms)", "tuples removed"], numeric: [1, 2, 3, 4],
        runs.map {
          [
            Self.escape($0.table), Self.group($0.runs), Self.number($0.elapsedMs), Self.number($0.longestMs),
            Self.group(Int($0.tuplesRemoved)),
          ]
        })
    }
    let k = e.connections
    if k.received > 0 || k.disconnections > 0 || k.authenticationFailures > 0 {
      empty = false
      html +=
        "<h3>Connections</h3><p>\(Self.group(k.received)) received, \(Self.group(k.authorized)) authorized, "
        + "\(Self.group(k.disconnections)) ended, \(Self.group(k.authenticationFailures)) authentication failures; "
        + "peak \(Self.number(k.peakPerSecond))/s, mean \(Self.number(k.meanPerSecond))/s.</p>"
      if let mean = k.meanSessionMs {
        html +=
          "<p>Sessions: mean \(Self.number(mean)) ms; \(Self.group(k.sessionsUnderOneSecond)) under one second, "
          + "about \(Self.number(k.estimatedConnectMs)) ms spent connecting, which a connection pooler would save.</p>"
      }
      html +=
        "<p>By database: \(names(k.byDatabase)). By user: \(names(k.byUser)). "
        + "By application: \(names(k.byApplication)). By host: \(names(k.byHost)).</p>"
    }
    if !e.cancellations.isEmpty {
      empty = false
      html += "<h3>Cancelled statements</h3><p>\(names(e.cancellations))</p>"
    }
    if let b = e.pgbouncer {
      empty = false
      html +=
        "<h3>PgBouncer</h3><p>\(Self.group(b.logins)) client logins (peak \(Self.number(b.peakLoginsPerSecond))/s), "
        + "\(Self.group(b.loginFailures)) failed; \(Self.group(b.serverConnections)) new server connections; "
        + "\(Self.number(b.meanXactsPerSecond)) transactions/s over \(b.statsPeriods) stats periods, mean wait for a "
        + "server \(b.meanWaitUs.map { Self.number($0) } ?? "-") µs.</p><p>Clients closed: \(names(b.closes)). "
        + "Warnings and errors: \(names(b.problems)).</p>"
    }
    if empty { html += "<p>None logged (see log_lock_waits, log_temp_files, log_checkpoints, log_connections).</p>" }
    return html + "</section>\n"
  }
}
