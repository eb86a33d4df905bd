// The HTML report: one self-contained file (inline CSS, SVG charts drawn here, a little JavaScript for sorting
// and filtering), with a Content-Security-Policy that allows only that CSS and that script, by hash, and no
// network at all. Every string from the log is escaped.
import Crypto
import Foundation
import LogReading

public struct HTMLReport {
  /// Rows in the query table, and queries with a detail section: caps that keep the file a few MB.
  public var maxTableRows = 500
  public var maxDetails = 100

  public init() {}

  public func render(_ report: AnalysisReport) -> String {
    var body = ""
    body += header(report)
    body += "<main>\n"
    body += overview(report)
    body += timeline(report)
    body += latency(report)
    body += types(report)
    body += timeBy(report)
    body += endpoints(report)
    body += topLists(report)
    body += queryTable(report)
    body += details(report)
    body += indexes(report)
    body += appAdvice(report)
    body += errors(report)
    body += events(report)
    body += input(report)
    body += "</main>\n"
    let policy =
      "default-src 'none'; style-src '\(Self.hash(Self.css))'; script-src '\(Self.hash(Self.script))'; "
      + "img-src data:; base-uri 'none'; form-action 'none'"
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8"/>
      <meta http-equiv="Content-Security-Policy" content="\(policy)"/>
      <meta name="viewport" content="width=device-width, initial-scale=1"/>
      <meta name="generator" content="\(Self.escape(report.generator))"/>
      <title>pgsift report</title>
      <style>\(Self.css)</style>
      </head>
      <body>
      \(body)<script>\(Self.script)</script>
      </body>
      </html>

      """
  }

  // MARK: - Sections

  func header(_ r: AnalysisReport) -> String {
    let links =
      [
        ("overview", "Overview"), ("timeline", "Over time"), ("latency", "Latency"), ("types", "By type"),
        ("time-by", "By who"),
      ] + (r.endpoints == nil ? [] : [("endpoints", "By endpoint")]) + [
        ("top", "Top queries"),
        ("queries", "All queries"), ("details", "Details"), ("indexes", "Indexes"), ("errors", "Errors"),
        ("events", "Events"), ("input", "Input"),
      ]
    return "<header><h1>pgsift report</h1><p class=\"sub\">\(Self.escape(r.summary.first ?? "-")) – "
      + "\(Self.escape(r.summary.last ?? "-"))</p><nav>"
      + links.map { "<a href=\"#\($0.0)\">\($0.1)</a>" }.joined(separator: " ") + "</nav></header>\n"
  }

  func overview(_ r: AnalysisReport) -> String {
    let s = r.summary
    let share = s.statements > 0 ? Double(s.slowStatements) / Double(s.statements) * 100 : 0
    let p95 = overallP95(r)
    let cards: [(String, String, String)] = [
      ("statements", Self.group(s.statements), "timed statements"),
      ("slow", Self.group(s.slowStatements), "at or over \(Self.number(r.thresholdMs)) ms"),
      ("slow-share", String(format: "%.1f%%", share), "slow share"),
      ("p95", p95.map { Self.number($0) + " ms" } ?? "–", "p95 of all statements"),
      ("total", Self.number(s.totalMs) + " ms", "total time"),
      ("fingerprints", Self.group(s.fingerprints), "fingerprints"),
      ("errors", Self.group(s.errors), "errors"),
      ("suggestions", Self.group(r.indexSuggestions.count), "index suggestions"),
    ]
    return "<section id=\"overview\"><h2>Overview</h2><div class=\"cards\">"
      + cards.map {
        "<div class=\"card\" data-figure=\"\($0.0)\"><b>\($0.1)</b><span>\(Self.escape($0.2))</span></div>"
      }.joined()
      + "</div>"
      + (s.folded.map { folded in
        "<p class=\"note\" data-figure=\"folded\">\(Self.group(folded.fingerprints)) least used fingerprints, past "
          + "--max-fingerprints \(folded.budget.map(Self.group) ?? "–"), are folded: "
          + "\(Self.group(folded.calls + folded.untimedCalls)) executions, \(Self.number(folded.totalMs)) ms, counted in "
          + "the totals but in no table.</p>"
      } ?? "")
      + "</section>\n"
  }

  /// The workload by kind of statement.
  func types(_ r: AnalysisReport) -> String {
    guard let types = r.statementTypes, !types.isEmpty else {
      return "<section id=\"types\"><h2>Statements by type</h2><p>No statements.</p></section>\n"
    }
    let calls = types.reduce(0) { $0 + $1.calls + $1.untimedCalls }
    let total = types.reduce(0) { $0 + $1.totalMs }
    var html =
      "<section id=\"types\"><h2>Statements by type</h2><div class=\"scroll\"><table class=\"sortable\"><thead><tr>"
      + "<th>type</th><th data-numeric=\"1\">calls</th><th data-numeric=\"1\">% calls</th>"
      + "<th data-numeric=\"1\">total ms</th><th data-numeric=\"1\">% time</th><th data-numeric=\"1\">slow</th>"
      + "<th data-numeric=\"1\">fingerprints</th></tr></thead><tbody>"
    for t in types {
      let executions = t.calls + t.untimedCalls
      html +=
        "<tr data-type=\"\(Self.escape(t.type))\"><td>\(Self.escape(t.type))</td><td>\(Self.group(executions))</td>"
        + "<td>\(calls > 0 ? Self.f(Double(executions) / Double(calls) * 100) : "–")</td>"
        + "<td>\(Self.number(t.totalMs))</td><td>\(total > 0 ? Self.f(t.totalMs / total * 100) : "–")</td>"
        + "<td>\(Self.group(t.slowCalls))</td><td>\(Self.group(t.fingerprints))</td></tr>"
    }
    return html + "</tbody></table></div></section>\n"
  }

  /// The workload by database, user, application and host, one table each.
  func timeBy(_ r: AnalysisReport) -> String {
    guard let by = r.timeBy else { return "" }
    let total = r.summary.totalMs
    var html = "<section id=\"time-by\"><h2>Time by database, user, application and host</h2>"
    for (field, list) in [
      ("database", by.database), ("user", by.user), ("application", by.application), ("host", by.host),
    ]
    where !list.isEmpty {
      html +=
        "<div class=\"scroll\"><table class=\"sortable\"><thead><tr><th>\(field)</th>"
        + "<th data-numeric=\"1\">calls</th><th data-numeric=\"1\">total ms</th><th data-numeric=\"1\">% time</th>"
        + "<th data-numeric=\"1\">slow</th></tr></thead><tbody>"
      for entry in list.prefix(20) {
        html +=
          "<tr><td>\(Self.escape(entry.name.isEmpty ? "(none)" : entry.name))</td><td>\(Self.group(entry.calls))</td>"
          + "<td>\(Self.number(entry.totalMs))</td><td>\(total > 0 ? Self.f(entry.totalMs / total * 100) : "–")</td>"
          + "<td>\(Self.group(entry.slowCalls))</td></tr>"
      }
      html += "</tbody></table></div>"
      if list.count > 20 { html += "<p class=\"note\">\(list.count - 20) more in the JSON report.</p>" }
    }
    return html + "</section>\n"
  }

  /// The workload by endpoint, when statements carry query tags.
  func endpoints(_ r: AnalysisReport) -> String {
    guard let endpoints = r.endpoints, !endpoints.isEmpty else { return "" }
    let total = r.summary.totalMs
    var html =
      "<section id=\"endpoints\"><h2>Time by endpoint</h2><p class=\"note\">From the statements' query tags "
      + "(sqlcommenter, Rails QueryLogs, marginalia).</p><div class=\"scroll\"><table class=\"sortable\"><thead><tr>"
      + "<th>endpoint</th><th data-numeric=\"1\">calls</th><th data-numeric=\"1\">total ms</th>"
      + "<th data-numeric=\"1\">% time</th><th data-numeric=\"1\">slow</th><th>queries</th></tr></thead><tbody>"
    for e in endpoints {
      html +=
        "<tr><td>\(Self.escape(e.endpoint))</td><td>\(Self.group(e.calls))</td><td>\(Self.number(e.totalMs))</td>"
        + "<td>\(total > 0 ? Self.f(e.totalMs / total * 100) : "–")</td><td>\(Self.group(e.slowCalls))</td><td>"
        + e.fingerprints.prefix(5).map { "<a href=\"#q-\($0)\"><code>\($0)</code></a>" }.joined(separator: " ")
        + (e.fingerprints.count > 5 ? " …" : "") + "</td></tr>"
    }
    return html + "</tbody></table></div></section>\n"
  }

  func overallP95(_ r: AnalysisReport) -> Double? {
    guard let histogram = r.latencyHistogram, !histogram.isEmpty else { return nil }
    let total = histogram.reduce(0) { $0 + $1.count }
    let rank = Int((0.95 * Double(total)).rounded(.up))
    var seen = 0
    for bucket in histogram {
      seen += bucket.count
      if seen >= rank { return bucket.upperMs }
    }
    return histogram.last?.upperMs
  }

  func topLists(_ r: AnalysisReport) -> String {
    let timed = r.queries.filter { $0.calls > 0 }
    func list(_ title: String, _ id: String, _ queries: [Query], _ figure: (Query) -> String) -> String {
      "<div class=\"top\" id=\"\(id)\"><h3>\(title)</h3><ol>"
        + queries.prefix(10).map { q in
          "<li><a href=\"#q-\(q.fingerprint)\"><code>\(q.fingerprint)</code></a> \(figure(q))<br/><code class=\"sql\">\(Self.highlight(Self.clip(q.normalized, 160)))</code></li>"
        }.joined() + "</ol></div>"
    }
    return "<section id=\"top\"><h2>Top queries</h2><div class=\"tops\">"
      + list("By total time", "top-total", timed.sorted { $0.totalMs > $1.totalMs }) { "\(Self.number($0.totalMs)) ms" }
      + list("By calls", "top-calls", timed.sorted { $0.calls > $1.calls }) { "\(Self.group($0.calls)) calls" }
      + list("Slowest single run", "top-slowest", timed.sorted { ($0.maxMs ?? 0) > ($1.maxMs ?? 0) }) {
        "\(Self.number($0.maxMs ?? 0)) ms"
      }
      + "</div></section>\n"
  }

  func queryTable(_ r: AnalysisReport) -> String {
    let total = max(r.summary.totalMs, 0.001)
    var html =
      "<section id=\"queries\"><h2>All queries</h2><p><input id=\"filter\" type=\"search\" placeholder=\"Filter by text or fingerprint\" aria-label=\"filter\"/> "
      + "<span class=\"hint\">Click a column to sort.</span></p><div class=\"scroll\"><table id=\"query-table\" class=\"sortable\"><thead><tr>"
      + ["fingerprint", "calls", "slow", "total ms", "share", "mean ms", "p95 ms", "max ms", "activity", "query"]
      .enumerated().map {
        "<th data-col=\"\($0.offset)\"\($0.offset >= 1 && $0.offset <= 7 ? " data-numeric=\"1\"" : "")>\($0.element)</th>"
      }.joined() + "</tr></thead><tbody>"
    for q in r.queries.prefix(maxTableRows) {
      html +=
        "<tr data-fingerprint=\"\(q.fingerprint)\"><td><a href=\"#q-\(q.fingerprint)\"><code>\(q.fingerprint)</code></a></td>"
      for value in [
        Double(q.calls), Double(q.slowCalls), q.totalMs, q.totalMs / total * 100, q.meanMs ?? 0, q.p95Ms ?? 0,
        q.maxMs ?? 0,
      ].enumerated() {
        let text =
          value.offset < 2
          ? Self.group(Int(value.element))
          : (value.offset == 3 ? String(format: "%.1f%%", value.element) : Self.number(value.element))
        html += "<td data-v=\"\(value.element)\">\(text)</td>"
      }
      html +=
        "<td>\(sparkline(q.sparkline ?? []))</td><td><code class=\"sql\">\(Self.highlight(Self.clip(q.normalized, 200)))</code></td></tr>"
    }
    html += "</tbody></table></div>"
    if r.queries.count > maxTableRows {
      html +=
        "<p class=\"note\">\(r.queries.count - maxTableRows) more fingerprints with less total time are in the JSON report.</p>"
    }
    return html + "</section>\n"
  }

  func sparkline(_ values: [Int], width: Double = 80, height: Double = 18) -> String {
    guard let top = values.max(), top > 0 else { return "" }
    let step = width / Double(max(values.count - 1, 1))
    let points = values.enumerated().map {
      "\(Self.f(Double($0.offset) * step)),\(Self.f(height - Double($0.element) / Double(top) * height))"
    }
    .joined(separator: " ")
    return
      "<svg class=\"spark\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"calls over time\"><polyline points=\"\(points)\"/></svg>"
  }

  func details(_ r: AnalysisReport) -> String {
    var html = "<section id=\"details\"><h2>Query details</h2>"
    // The queries with the most total time, and every query the top lists link to.
    let timed = r.queries.filter { $0.calls > 0 }
    let linked = Set(
      (timed.sorted { $0.calls > $1.calls }.prefix(10) + timed.sorted { ($0.maxMs ?? 0) > ($1.maxMs ?? 0) }.prefix(10))
        .map(\.fingerprint))
    let shown = r.queries.enumerated().filter { $0.offset < maxDetails || linked.contains($0.element.fingerprint) }
      .map(\.element)
    for q in shown {
      html +=
        "<details id=\"q-\(q.fingerprint)\"><summary><code>\(q.fingerprint)</code> \(Self.group(q.calls)) calls, "
        + "\(Self.number(q.totalMs)) ms — <code class=\"sql\">\(Self.highlight(Self.clip(q.normalized, 120)))</code></summary>"
      html +=
        "<div class=\"detail\"><table class=\"figures\"><tr><th>calls</th><th>slow</th><th>min</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th>mean</th><th>parse/bind</th></tr><tr>"
      html += [Self.group(q.calls), Self.group(q.slowCalls)].map { "<td>\($0)</td>" }.joined()
      html += [q.minMs, q.p50Ms, q.p95Ms, q.p99Ms, q.maxMs, q.meanMs, q.prepareMs].map {
        "<td>\($0.map { Self.number($0) + " ms" } ?? "–")</td>"
      }.joined()
      html += "</tr></table>"
      html += "<p>\(sparkline(q.sparkline ?? [], width: 320, height: 40))</p>"
      func names(_ title: String, _ list: [NameCount]) -> String {
        "<p><b>\(title):</b> "
          + list.prefix(10).map { "\(Self.escape($0.name.isEmpty ? "(none)" : $0.name)) (\(Self.group($0.calls)))" }
          .joined(separator: ", ") + "</p>"
      }
      html += names("databases", q.databases) + names("users", q.users) + names("applications", q.applications)
      if let shares = q.endpoints, !shares.isEmpty {
        html +=
          "<p><b>endpoints:</b> "
          + shares.prefix(10).map {
            "\(Self.escape($0.endpoint)) (\(Self.group($0.calls)) calls, \(Self.number($0.totalMs)) ms, "
              + "\(Self.group($0.slowCalls)) slow)"
          }.joined(separator: ", ") + "</p>"
      }
      html +=
        "<p><b>normalized</b> (\(q.fingerprintSource == "lexer" ? "not parsed by libpg_query: \(Self.escape(q.parseError ?? ""))" : "libpg_query")):</p><pre class=\"sql\">\(Self.highlight(q.normalized))</pre>"
      if let example = q.example {
        html +=
          "<p><b>slowest example</b>\(q.exampleMs.map { " (\(Self.number($0)) ms)" } ?? ""):</p><pre class=\"sql\">\(Self.highlight(Self.clip(example, 20_000)))</pre>"
      }
      if let parameters = q.exampleParameters {
        html += "<p><b>parameters:</b> <code>\(Self.escape(Self.clip(parameters, 2_000)))</code></p>"
      }
      html +=
        "<p class=\"seen\">first \(Self.escape(q.firstSeen ?? "–")), last \(Self.escape(q.lastSeen ?? "–")); \(q.errors) errors</p></div></details>"
    }
    if r.queries.count > shown.count {
      html +=
        "<p class=\"note\">Details for the \(maxDetails) queries with the most total time and those in the top lists; "
        + "the JSON report has all \(r.queries.count).</p>"
    }
    return html + "</section>\n"
  }

  func indexes(_ r: AnalysisReport) -> String {
    var html = "<section id=\"indexes\"><h2>Index suggestions</h2>"
    if r.indexSuggestions.isEmpty { html += "<p>None.</p>" }
    for s in r.indexSuggestions {
      html += "<div class=\"suggestion\"><pre class=\"ddl\">\(Self.escape(s.ddl))</pre><p>"
      if let warning = s.writeWarning {
        html += "<span class=\"badge \(Self.escape(warning))\">\(Self.escape(warning))</span> "
      }
      html +=
        "<span class=\"badge\">\(Self.escape(s.confidence))</span> serves "
        + s.fingerprints.map { "<a href=\"#q-\($0)\"><code>\($0)</code></a>" }.joined(separator: ", ")
        + "; \(Self.number(s.slowMs)) ms at or over the threshold. \(Self.escape(s.reasons.joined(separator: "; ")))</p>"
      html +=
        "<p class=\"cost\">\(Self.escape(s.writeCost.explanation.replacingOccurrences(of: " " + r.writeCountNote, with: "")))</p>"
      if let validation = s.validated {
        html +=
          "<p class=\"cost\">"
          + validation.plans.map {
            "\($0.fingerprint) (\($0.parameters)): cost \(Self.number($0.costBefore)) → "
              + "\(Self.number($0.costAfter)) with every suggestion, \(Self.number($0.costAlone)) alone"
          }.joined(separator: "; ") + "</p>"
      }
      html += "</div>"
    }
    if !r.rejectedIndexSuggestions.isEmpty {
      html +=
        "<h3>Rejected by the planner (--dsn)</h3><ul>"
        + r.rejectedIndexSuggestions.map {
          "<li><code>\(Self.escape($0.ddl))</code>: \(Self.escape($0.validated?.rejection ?? ""))</li>"
        }.joined() + "</ul>"
    }
    if !r.unusablePredicates.isEmpty {
      html +=
        "<h3>Predicates no btree index can serve</h3><ul>"
        + r.unusablePredicates.map {
          "<li>\(Self.escape($0.table)): \(Self.escape($0.reason)) (\(Self.number($0.slowMs)) ms slow)</li>"
        }.joined() + "</ul>"
    }
    html += "<p class=\"note\">\(Self.escape(r.writeCountNote))</p>"
    return html + "</section>\n"
  }

  /// The application's patterns, each with its evidence and fix.
  func appAdvice(_ r: AnalysisReport) -> String {
    guard let advice = r.appAdvice else { return "" }
    var html = "<section id=\"app\"><h2>Application patterns</h2>"
    if advice.isEmpty { return html + "<p>None found.</p></section>\n" }
    for item in advice {
      let queries = item.fingerprints.map { "<a href=\"#q-\($0)\"><code>\($0)</code></a>" }.joined(separator: " then ")
      let evidence = item.evidence.sorted { $0.key < $1.key }.map { "\(Self.escape($0.key)) \(Self.number($0.value))" }
        .joined(separator: ", ")
      html +=
        "<div class=\"card\"><b>\(Self.escape(TextReport.appKindTitle(item.kind)))</b>"
        + "<p>\(Self.escape(item.finding)).</p>"
        + (queries.isEmpty ? "" : "<p>queries: \(queries)</p>")
        + "<p><i>fix:</i> \(Self.escape(item.fix))</p><p class=\"note\">\(evidence)</p></div>"
    }
    return html + "</section>\n"
  }

  func errors(_ r: AnalysisReport) -> String {
    var html = "<section id=\"errors\"><h2>Errors</h2>"
    if r.errors.isEmpty { return html + "<p>None.</p></section>\n" }
    html +=
      "<div class=\"scroll\"><table class=\"sortable\"><thead><tr><th data-numeric=\"1\">count</th><th>severity</th><th>SQLSTATE</th><th>message</th><th>statement</th></tr></thead><tbody>"
    for e in r.errors {
      html +=
        "<tr><td data-v=\"\(e.count)\">\(e.count)</td><td>\(Self.escape(e.severity))</td>"
        + "<td>\(e.sqlState.map { "<span title=\"\(Self.escape(e.sqlStateClass ?? ""))\">\(Self.escape($0))</span>" } ?? "")</td>"
        + "<td>\(Self.escape(e.message))</td>"
        + "<td><code class=\"sql\">\(Self.highlight(Self.clip(e.exampleStatement ?? "", 300)))</code></td></tr>"
    }
    return html + "</tbody></table></div></section>\n"
  }

  func input(_ r: AnalysisReport) -> String {
    var html =
      "<section id=\"input\"><h2>Input</h2><div class=\"scroll\"><table><thead><tr><th>file</th><th>format</th><th>lines</th><th>records</th><th>skipped</th></tr></thead><tbody>"
    for file in r.input.files {
      html +=
        "<tr><td>\(Self.escape(file.path))</td><td>\(Self.escape(file.format?.rawValue ?? "–"))\(file.logLinePrefix.map { " <code>\(Self.escape($0))</code>" } ?? "")"
        + (file.prefixInference.map { inference in
          "<br><span class=\"note\" title=\"\(Self.escape((inference.evidence + inference.doubts).joined(separator: "\n")))\">"
            + "inferred, \(Self.escape(inference.confidence)): \(Self.group(inference.matchedRecords)) of "
            + "\(Self.group(inference.sampledRecords)) sampled records</span>"
        } ?? "") + "</td>"
        + "<td>\(Self.group(file.lines))</td><td>\(Self.group(file.entries))</td><td>\(Self.group(file.skippedLines))</td></tr>"
    }
    html += "</tbody></table></div>"
    if let filters = r.input.filters {
      let records = r.input.files.reduce(0) { $0 + $1.filteredRecords }
      html +=
        "<p data-figure=\"filters\">Filters: \(Self.escape(filters)); \(Self.group(records)) records and "
        + "\(Self.group(r.summary.filteredStatements)) statements left out.</p>"
    }
    if !r.input.problems.isEmpty {
      html +=
        "<p>Problems: "
        + r.input.problems.sorted { $0.key < $1.key }.map { "\(Self.escape($0.key)) \($0.value)" }.joined(
          separator: ", ") + "</p>"
    }
    return html
      + "<p class=\"note\">\(Self.escape(r.generator)), threshold \(Self.number(r.thresholdMs)) ms.</p></section>\n"
  }

  // MARK: - Text

  /// Escapes text for HTML content and attribute values.
  public static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for c in text.unicodeScalars {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.unicodeScalars.append(c)
      }
    }
    return out
  }

  static let keywords: Set<String> = [
    "select", "from", "where", "and", "or", "not", "in", "is", "null", "join", "left", "right", "inner", "outer",
    "on", "group", "by", "order", "limit", "offset", "insert", "into", "values", "update", "set", "delete", "with",
    "as", "distinct", "having", "union", "all", "case", "when", "then", "else", "end", "exists", "between", "like",
    "ilike", "returning", "conflict", "do", "nothing", "begin", "commit", "rollback", "asc", "desc", "count", "sum",
    "create", "table", "index", "copy", "to", "interval", "any", "true", "false", "savepoint", "release", "prepare",
    "execute", "deallocate", "explain", "analyze", "lateral", "over", "partition", "window", "for", "using",
  ]

  /// SQL with keywords, strings, parameters and comments marked, every piece escaped.
  public static func highlight(_ sql: String) -> String {
    var out = ""
    let chars = Array(sql.unicodeScalars)
    var i = 0
    func take(_ end: Int, _ kind: String?) {
      let text = escape(String(String.UnicodeScalarView(chars[i..<end])))
      out += kind.map { "<span class=\"\($0)\">\(text)</span>" } ?? text
      i = end
    }
    while i < chars.count {
      let c = chars[i]
      if c == "'" {
        var j = i + 1
        while j < chars.count && !(chars[j] == "'" && (j + 1 >= chars.count || chars[j + 1] != "'")) {
          j += chars[j] == "'" ? 2 : 1
        }
        take(min(j + 1, chars.count), "s")
      } else if c == "-" && i + 1 < chars.count && chars[i + 1] == "-" {
        var j = i
        while j < chars.count && chars[j] != "\n" { j += 1 }
        take(j, "c")
      } else if c == "/" && i + 1 < chars.count && chars[i + 1] == "*" {
        var j = i + 2
        while j + 1 < chars.count && !(chars[j] == "*" && chars[j + 1] == "/") { j += 1 }
        take(min(j + 2, chars.count), "c")
      } else if c == "$" && i + 1 < chars.count && chars[i + 1].properties.numericType != nil {
        var j = i + 1
        while j < chars.count && ("0"..."9").contains(chars[j]) { j += 1 }
        take(j, "p")
      } else if c.properties.isAlphabetic || c == "_" {
        var j = i
        while j < chars.count && (chars[j].properties.isAlphabetic || chars[j] == "_" || ("0"..."9").contains(chars[j]))
        { j += 1 }
        let word = String(String.UnicodeScalarView(chars[i..<j])).lowercased()
        take(j, keywords.contains(word) ? "k" : nil)
      } else {
        take(i + 1, nil)
      }
    }
    return out
  }

  static func clip(_ text: String, _ limit: Int) -> String {
    text.count <= limit ? text : String(text.prefix(limit)) + " …"
  }

  static func group(_ n: Int) -> String { ReportBuilder.grouped(n) }

  static func number(_ value: Double) -> String {
    if value >= 100 { return ReportBuilder.grouped(Int(value.rounded())) }
    if value >= 1 { return String(format: "%.1f", value) }
    return String(format: "%.3f", value)
  }

  static func f(_ value: Double) -> String { String(format: "%.1f", value) }

  /// The CSP source for an inline block: its SHA-256, base64.
  static func hash(_ text: String) -> String {
    "sha256-" + Data(SHA256.hash(data: Data(text.utf8))).base64EncodedString()
  }
}
