// The comparison for people and for CI systems: text, JSON, Markdown (a pull-request comment), JUnit XML (one
// test case per budget, so CI shows each one natively) and GitLab's Code Quality report (one issue per finding,
// shown in the merge request's widget).
import Fingerprint
import Foundation
import Reports

public enum ComparisonFormat: String, CaseIterable, Sendable {
  case text, json, markdown, junit, codequality

  /// The format a file name asks for (`.json`, `.md`, `.xml`; a `.json` whose name says code quality, as
  /// GitLab's `gl-code-quality-report.json`, is that), if any.
  public static func forPath(_ path: String) -> ComparisonFormat? {
    let name = (path as NSString).lastPathComponent.lowercased()
    if name.hasSuffix(".json") && (name.contains("code-quality") || name.contains("codequality")) {
      return .codequality
    }
    if path.hasSuffix(".json") { return .json }
    if path.hasSuffix(".md") || path.hasSuffix(".markdown") { return .markdown }
    if path.hasSuffix(".xml") { return .junit }
    if path.hasSuffix(".txt") { return .text }
    return nil
  }
}

public enum ComparisonOutput {
  public static func render(_ comparison: Comparison, as format: ComparisonFormat, top: Int = 10) throws -> String {
    switch format {
    case .text: return TerminalText.escaped(text(comparison, top: top))
    case .json:
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      return String(decoding: try encoder.encode(comparison), as: UTF8.self) + "\n"
    case .markdown: return markdown(comparison, top: top)
    case .junit: return junit(comparison)
    case .codequality: return try codeQuality(comparison)
    }
  }

  /// One Code Quality issue.
  struct CodeQualityIssue: Encodable {
    struct Location: Encodable {
      struct Lines: Encodable { var begin = 1 }
      var path: String
      var lines = Lines()
    }
    var description: String
    var checkName: String
    /// Stable across runs for the same finding (check and query), so GitLab tells new issues from resolved ones.
    var fingerprint: String
    var severity: String
    var location: Location

    enum CodingKeys: String, CodingKey {
      case description, checkName = "check_name", fingerprint, severity, location
    }
  }

  /// GitLab's Code Quality report: each failed budget's findings as issues (major; the whole-run checks
  /// critical), located at the current run's report.
  static func codeQuality(_ c: Comparison) throws -> String {
    var issues: [CodeQualityIssue] = []
    for check in c.checks where !check.passed {
      for failure in check.failures.isEmpty ? [check.summary] : check.failures {
        // A query's finding starts with its fingerprint; the key keeps it, not the figures that change.
        let subject = failure.prefix { $0 != ":" }
        let key = "\(check.name):\(subject.count == 16 ? String(subject) : failure)"
        issues.append(
          CodeQualityIssue(
            description: "pgsift \(check.name): \(failure)", checkName: "pgsift.\(check.name)",
            fingerprint: Fingerprint.hex(Fingerprinter.fnv1a(Array(key.utf8))),
            severity: subject.count == 16 ? "major" : "critical", location: .init(path: c.current.path)))
      }
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(issues), as: UTF8.self) + "\n"
  }

  static func signed(_ fraction: Double?) -> String {
    guard let fraction else { return "-" }
    return (fraction >= 0 ? "+" : "") + Comparer.percent(fraction)
  }

  static func text(_ c: Comparison, top: Int) -> String {
    var out = "pgsift compare: \(c.passed ? "PASS" : "FAIL")\n"
    out +=
      "  baseline: \(c.baseline.path): \(c.baseline.statements) statements, \(Comparer.ms(c.baseline.totalMs)) ms, "
      + "slow share \(Comparer.percent(c.baseline.slowShare))\n"
    for other in (c.baselines ?? []).dropFirst() {
      out +=
        "            \(other.path): \(other.statements) statements, \(Comparer.ms(other.totalMs)) ms, "
        + "slow share \(Comparer.percent(other.slowShare))\n"
    }
    out +=
      "  current:  \(c.current.path): \(c.current.statements) statements, \(Comparer.ms(c.current.totalMs)) ms, "
      + "slow share \(Comparer.percent(c.current.slowShare))\n"
    out += "  \(judging(c))\n\n"
    for check in c.checks {
      out += "  [\(check.passed ? "ok" : "FAIL")] \(check.name) \(check.limit): \(check.summary)\n"
      for failure in check.failures.prefix(top) { out += "         \(failure)\n" }
      if check.failures.count > top { out += "         … and \(check.failures.count - top) more\n" }
    }
    func list(_ title: String, _ changes: [Comparison.QueryChange]) {
      guard !changes.isEmpty else { return }
      out += "\n\(title) (\(changes.count))\n"
      for change in changes.prefix(top) {
        let calls = "\(change.baseline?.calls ?? 0) -> \(change.current?.calls ?? 0) calls"
        let p95 =
          "p95 \(change.baseline?.p95Ms.map(Comparer.ms) ?? "-") -> \(change.current?.p95Ms.map(Comparer.ms) ?? "-") ms"
        out += "  \(change.fingerprint)  \(calls), \(p95)\n      \(Comparer.oneLine(change.normalized))\n"
        if let allowance = change.allowance { out += "      allowed by \(allowance)\n" }
      }
    }
    list("New slow queries", c.newSlow)
    list("Regressed", c.regressed)
    list("Calls multiplied", c.callsMultiplied)
    list("Improved", c.improved)
    list("Gone", c.gone)
    list("Migrations and maintenance (not judged)", c.maintenance)
    return out
  }

  /// How the queries were judged: against how many baselines, with which correction.
  static func judging(_ c: Comparison) -> String {
    let runs = c.baselines?.count ?? 1
    let against = runs > 1 ? "against the noise band of \(runs) baseline runs" : "against one baseline run"
    let correction =
      c.correction == "holm" ? "the significance level shared among them (Holm)" : "each at the significance level"
    return "\(c.testedQueries) \(c.testedQueries == 1 ? "query" : "queries") tested \(against), \(correction)"
  }

  static func markdown(_ c: Comparison, top: Int) -> String {
    func cell(_ text: String) -> String {
      text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
    var out = "### pgsift: \(c.passed ? "✅ within budget" : "❌ regression")\n\n"
    out += "| | statements | total ms | slow share | fingerprints |\n| --- | ---: | ---: | ---: | ---: |\n"
    let baselines = (c.baselines ?? [c.baseline]).enumerated().map { index, run in
      (index == 0 ? "baseline" : "baseline \(index + 1)", run)
    }
    for (name, run) in baselines + [("current", c.current)] {
      out +=
        "| \(name) | \(run.statements) | \(Comparer.ms(run.totalMs)) | \(Comparer.percent(run.slowShare)) | \(run.fingerprints) |\n"
    }
    out += "\n\(judging(c)).\n"
    out += "\n| budget | limit | result |\n| --- | --- | --- |\n"
    for check in c.checks {
      out += "| `\(check.name)` | \(cell(check.limit)) | \(check.passed ? "✅" : "❌") \(cell(check.summary)) |\n"
    }
    func table(_ title: String, _ changes: [Comparison.QueryChange]) {
      guard !changes.isEmpty else { return }
      out +=
        "\n**\(title)** (\(changes.count))\n\n| fingerprint | query | calls | p95 ms | mean ms |\n| --- | --- | ---: | ---: | ---: |\n"
      for change in changes.prefix(top) {
        let calls = "\(change.baseline?.calls ?? 0) → \(change.current?.calls ?? 0)"
        let p95 =
          "\(change.baseline?.p95Ms.map(Comparer.ms) ?? "–") → \(change.current?.p95Ms.map(Comparer.ms) ?? "–") (\(signed(change.p95Change)))"
        let mean =
          "\(change.baseline?.meanMs.map(Comparer.ms) ?? "–") → \(change.current?.meanMs.map(Comparer.ms) ?? "–")"
        out +=
          "| `\(change.fingerprint)` | `\(cell(Comparer.oneLine(change.normalized)))` | \(calls) | \(p95) | \(mean) |\n"
      }
    }
    table("New slow queries", c.newSlow)
    table("Regressed", c.regressed)
    table("Calls multiplied (N+1?)", c.callsMultiplied)
    table("Improved", c.improved)
    table("Migrations and maintenance (not judged)", c.maintenance)
    return out
  }

  /// XML text: HTML's escaping, less the control characters XML 1.0 has no place for.
  static func xml(_ text: String) -> String {
    let allowed = String(
      String.UnicodeScalarView(
        text.unicodeScalars.map {
          $0.value < 0x20 && $0 != "\n" && $0 != "\t" && $0 != "\r" || $0.value == 0xFFFE || $0.value == 0xFFFF
            ? "?" : $0
        }))
    return HTMLReport.escape(allowed)
  }

  static func junit(_ c: Comparison) -> String {
    let failures = c.checks.filter { !$0.passed }.count
    let stamp = ISO8601DateFormatter.string(
      from: Date(), timeZone: TimeZone(identifier: "UTC")!,
      formatOptions: [.withFullDate, .withTime, .withDashSeparatorInDate, .withColonSeparatorInTime])
    let host = ProcessInfo.processInfo.hostName
    var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    out += "<testsuites name=\"pgsift\" tests=\"\(c.checks.count)\" failures=\"\(failures)\" errors=\"0\" time=\"0\">\n"
    out +=
      "  <testsuite package=\"pgsift\" id=\"0\" name=\"pgsift budgets\" timestamp=\"\(stamp)\" hostname=\"\(xml(host))\" "
      + "tests=\"\(c.checks.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\" time=\"0\">\n"
    out += "    <properties>\n"
    out += "      <property name=\"baseline\" value=\"\(xml(c.baseline.path))\"/>\n"
    out += "      <property name=\"current\" value=\"\(xml(c.current.path))\"/>\n"
    out += "    </properties>\n"
    for check in c.checks {
      out += "    <testcase classname=\"pgsift.budget\" name=\"\(xml(check.name))\" time=\"0\""
      if check.passed {
        out += "/>\n"
      } else {
        out +=
          ">\n      <failure message=\"\(xml(check.summary))\" type=\"budget\">\(xml(check.failures.joined(separator: "\n")))</failure>\n    </testcase>\n"
      }
    }
    out += "    <system-out>\(xml(text(c, top: 50)))</system-out>\n"
    out += "    <system-err></system-err>\n"
    out += "  </testsuite>\n</testsuites>\n"
    return out
  }
}
