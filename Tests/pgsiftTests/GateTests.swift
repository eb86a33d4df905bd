// The CI gate: pgsift compare on two real runs where an index was dropped, budgets of each kind, the output
// formats (JUnit validated against the format's schema, Markdown rendered), and analyze --baseline.
import Foundation
import Regression
import Reports
import Testing

@Suite("CI gate", .serialized)
struct GateTests {
  static let gate = Paths.fixtures.appendingPathComponent("gate")
  static let emailQuery = "db56c67a901bb0e4"

  /// JSON reports of both runs, made once per test.
  final class Reports {
    let dir: TemporaryDirectory
    let with: String
    let without: String
    init() throws {
      dir = try TemporaryDirectory()
      with = dir.path("with.json")
      without = dir.path("without.json")
      for (log, out) in [("with-indexes.log.gz", with), ("email-index-dropped.log.gz", without)] {
        let result = try pgsift(["analyze", gate.appendingPathComponent(log).path, "-o", out, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
      }
    }
  }

  @Test("a dropped index is a regression (exit 1); the same run twice passes (exit 0)")
  func regression() throws {
    let reports = try Reports()
    let fail = try pgsift(["compare", reports.with, reports.without, "--format", "json"])
    #expect(fail.status == 1, "\(fail.stderr)")
    let comparison = try JSONDecoder().decode(Comparison.self, from: Data(fail.stdout.utf8))
    #expect(comparison.verdict == "fail")
    #expect(comparison.regressed.contains { $0.fingerprint == Self.emailQuery })
    let p95 = try #require(comparison.checks.first { $0.name == "max-p95-increase" })
    #expect(!p95.passed)
    #expect(p95.failures.contains { $0.hasPrefix(Self.emailQuery) })
    #expect(comparison.gone.contains { $0.normalized.contains("CREATE INDEX customers_email") })
    let pass = try pgsift(["compare", reports.with, reports.with])
    #expect(pass.status == 0)
    #expect(pass.stdout.hasPrefix("pgsift compare: PASS"))
  }

  @Test("budgets of each kind, from flags and from a file, with allowances")
  func budgets() throws {
    let reports = try Reports()
    func status(_ extra: [String]) throws -> Int32 {
      try pgsift(["compare", reports.with, reports.without] + extra).status
    }
    // Wide per-query limits: only the email lookup (p95 250x) is over.
    let wide = ["--max-p95-increase", "500%", "--max-mean-increase", "500%"]
    #expect(try status(wide) == 1)
    #expect(try status(wide + ["--allow", Self.emailQuery]) == 0)
    #expect(try status(wide + ["--allow-pattern", "FROM customers WHERE email"]) == 0)
    #expect(try status(wide + ["--allow-pattern", "FROM nowhere"]) == 1)
    // Each limit on its own.
    let off = [
      "--max-p95-increase", "off", "--max-mean-increase", "off", "--max-calls-factor", "off", "--max-new-slow", "off",
    ]
    #expect(try status(off) == 0)
    #expect(try status(off + ["--max-slow-share", "5%"]) == 1)  // current slow share is 6.1%
    #expect(try status(off + ["--max-slow-share", "7%"]) == 0)
    #expect(try status(off + ["--max-total-increase", "1%"]) == 1)
    #expect(try status(off + ["--max-calls-factor", "1.1x", "--min-calls", "10"]) == 1)
    #expect(try status(off + ["--max-new-slow", "0"]) == 0)
    // A budget file, with flags overriding it.
    let file = reports.dir.path("budget.json")
    try """
    {"max_p95_increase": "500%", "max_mean_increase": "500%", "min_calls": 10,
     "allow": [{"pattern": "customers WHERE email", "max_p95_increase": "30000%", "max_mean_increase": "30000%",
                "reason": "index dropped on purpose"}]}
    """.write(toFile: file, atomically: true, encoding: .utf8)
    #expect(try status(["--budget", file]) == 0)
    // The other rises over 20% are noise (40 calls each, confidence 64% and 96%): not regressions by default,
    // regressions when the test is all but switched off.
    #expect(try status(["--budget", file, "--max-mean-increase", "20%"]) == 0)
    #expect(
      try status(["--budget", file, "--max-mean-increase", "20%", "--significance", "0.999", "--min-change", "1ms"])
        == 1)
    try #"{"max_p95_increase": "lots"}"#.write(toFile: file, atomically: true, encoding: .utf8)
    let bad = try pgsift(["compare", reports.with, reports.without, "--budget", file])
    #expect(bad.status == 2)
    #expect(bad.stderr.contains("max_p95_increase: cannot read 'lots'"))
  }

  @Test("bad input exits 2")
  func badInput() throws {
    let reports = try Reports()
    #expect(try pgsift(["compare", reports.with, "/no/such.json"]).status == 2)
    let notReport = reports.dir.path("other.json")
    try #"{"hello": 1}"#.write(toFile: notReport, atomically: true, encoding: .utf8)
    let result = try pgsift(["compare", reports.with, notReport])
    #expect(result.status == 2)
    #expect(result.stderr.contains("not a pgsift JSON report"))
    #expect(try pgsift(["compare", reports.with]).status == 2)
    #expect(try pgsift(["compare", reports.with, reports.with, "--max-p95-increase", "abc"]).status == 2)
  }

  @Test(
    "JUnit output validates against the JUnit schema; one test case per budget",
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/xmllint"), "needs xmllint (libxml2-utils)"))
  func junit() throws {
    let reports = try Reports()
    let xml = reports.dir.path("gate.xml")
    let result = try pgsift(["compare", reports.with, reports.without, "-o", xml])
    #expect(result.status == 1)
    let lint = try run(
      "/usr/bin/xmllint", ["--noout", "--schema", Self.gate.appendingPathComponent("junit.xsd").path, xml])
    #expect(lint.status == 0, "\(lint.stderr)")
    let text = try String(contentsOfFile: xml, encoding: .utf8)
    // The four budgets on by default, and the check that each run read a log record.
    #expect(text.components(separatedBy: "<testcase ").count - 1 == 5)
    #expect(text.contains("<testcase classname=\"pgsift.budget\" name=\"counted-input\" time=\"0\"/>"))
    #expect(text.contains("<testcase classname=\"pgsift.budget\" name=\"max-p95-increase\" time=\"0\">"))
    #expect(text.contains("<failure message="))
  }

  @Test(
    "Markdown output renders as a table for a pull-request comment",
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/cmark-gfm"), "needs cmark-gfm"))
  func markdown() throws {
    let reports = try Reports()
    let md = reports.dir.path("gate.md")
    #expect(try pgsift(["compare", reports.with, reports.without, "-o", md]).status == 1)
    let html = try run("/usr/bin/cmark-gfm", ["--extension", "table", md])
    #expect(html.status == 0)
    #expect(html.stdout.contains("<h3>pgsift: ❌ regression</h3>"))
    #expect(html.stdout.contains("<td><code>max-p95-increase</code></td>"))
    #expect(html.stdout.contains("<code>\(Self.emailQuery)</code>"))
    #expect(html.stdout.components(separatedBy: "<table>").count - 1 >= 3)
  }

  @Test("analyze --baseline gates in one step")
  func oneStep() throws {
    let reports = try Reports()
    let log = Self.gate.appendingPathComponent("email-index-dropped.log.gz").path
    let gateFile = reports.dir.path("gate.md")
    let result = try pgsift([
      "analyze", log, "--baseline", reports.with, "-o", reports.dir.path("current.json"), "--gate-output", gateFile,
    ])
    #expect(result.status == 1)
    #expect(try String(contentsOfFile: gateFile, encoding: .utf8).contains("❌ regression"))
    let same = try pgsift([
      "analyze", Self.gate.appendingPathComponent("with-indexes.log.gz").path, "--baseline", reports.with, "--quiet",
      "-o", reports.dir.path("again.json"),
    ])
    #expect(same.status == 0)
    #expect(same.stderr.isEmpty)
  }

  @Test("several -o at once (Markdown for a comment, JUnit for the test tab); the verdict still on standard error")
  func severalOutputs() throws {
    let reports = try Reports()
    let md = reports.dir.path("gate.md")
    let xml = reports.dir.path("gate.xml")
    let result = try pgsift(["compare", reports.with, reports.without, "-o", md, "-o", xml])
    #expect(result.status == 1)
    #expect(result.stdout.isEmpty)
    #expect(try String(contentsOfFile: md, encoding: .utf8).contains("❌ regression"))
    #expect(try String(contentsOfFile: xml, encoding: .utf8).hasPrefix("<?xml"))
    #expect(result.stderr.hasPrefix("pgsift compare: FAIL"), "\(result.stderr)")
    #expect(result.stderr.contains(Self.emailQuery))
  }

  @Test("in GitHub Actions: an ::error annotation per regression and the Markdown in the step summary")
  func githubActions() throws {
    let reports = try Reports()
    let summary = reports.dir.path("summary.md")
    try "earlier step\n".write(toFile: summary, atomically: true, encoding: .utf8)
    let environment = ["GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary]
    let result = try pgsift(
      ["compare", reports.with, reports.without, "-o", reports.dir.path("c.json")], environment: environment)
    #expect(result.status == 1)
    let errors = result.stdout.split(separator: "\n").filter { $0.hasPrefix("::error title=") }
    let failures = try JSONDecoder().decode(
      Comparison.self, from: Data(contentsOf: URL(fileURLWithPath: reports.dir.path("c.json")))
    ).checks.filter { !$0.passed }.reduce(0) { $0 + max(1, $1.failures.count) }
    #expect(errors.count == failures && failures > 0, "\(result.stdout)")
    #expect(errors.contains { $0.hasPrefix("::error title=pgsift max-p95-increase") && $0.contains(Self.emailQuery) })
    let written = try String(contentsOfFile: summary, encoding: .utf8)
    #expect(written.hasPrefix("earlier step\n"))
    #expect(written.contains("❌ regression"))
    // The same run gated from analyze: its report is on standard output, so the annotations go to standard error.
    let log = Self.gate.appendingPathComponent("email-index-dropped.log.gz").path
    let gated = try pgsift(["analyze", log, "--baseline", reports.with, "--format", "json"], environment: environment)
    #expect(gated.status == 1)
    #expect(!gated.stdout.contains("::error"))
    #expect(try JSONReport.decode(gated.stdout).summary.statements > 0)
    #expect(gated.stderr.contains("::error title=pgsift max-p95-increase"))
    // Outside GitHub Actions, no workflow command.
    let plain = try pgsift(["compare", reports.with, reports.without])
    #expect(!plain.stdout.contains("::error") && !plain.stderr.contains("::error"))
  }

  @Test("reports made with different thresholds are compared with a caution")
  func thresholdCaution() throws {
    let reports = try Reports()
    let other = reports.dir.path("other.json")
    let log = Self.gate.appendingPathComponent("with-indexes.log.gz").path
    #expect(try pgsift(["analyze", log, "--threshold", "100ms", "-q", "-o", other]).status == 0)
    let result = try pgsift(["compare", reports.with, other])
    #expect(
      result.stderr.contains(
        "pgsift: caution: the reports were made with different --threshold (30 ms and 100 ms): slow counts and new "
          + "slow queries do not compare"), "\(result.stderr)")
    let same = try pgsift(["compare", reports.with, reports.with])
    #expect(!same.stderr.contains("caution"))
  }

  @Test("the pull request that restores the index passes: its CREATE INDEX and ANALYZE are listed, not judged")
  func migrationsNotJudged() throws {
    let reports = try Reports()
    // Baseline: the run without the index; current: the run that creates it again.
    let fixing = try pgsift(["compare", reports.without, reports.with, "--format", "json"])
    #expect(fixing.status == 0, "\(fixing.stdout.prefix(1500))")
    let comparison = try JSONDecoder().decode(Comparison.self, from: Data(fixing.stdout.utf8))
    #expect(comparison.maintenance.contains { $0.normalized.hasPrefix("CREATE INDEX customers_email") })
    #expect(comparison.maintenance.contains { $0.normalized.uppercased().hasPrefix("ANALYZE") })
    #expect(!comparison.newSlow.contains { $0.normalized.hasPrefix("CREATE") })
    // Judged as before on request: the new index's creation is a new slow query.
    let judged = try pgsift(["compare", reports.without, reports.with, "--judge-maintenance", "--format", "json"])
    #expect(judged.status == 1)
    let strict = try JSONDecoder().decode(Comparison.self, from: Data(judged.stdout.utf8))
    #expect(strict.newSlow.contains { $0.normalized.hasPrefix("CREATE INDEX customers_email") })
    // A budget file turns it on too.
    let file = reports.dir.path("budget.json")
    try #"{"judge_maintenance": true, "judge_transaction_control": true}"#.write(
      toFile: file, atomically: true, encoding: .utf8)
    #expect(try pgsift(["compare", reports.without, reports.with, "--budget", file]).status == 1)
    let text = try pgsift(["compare", reports.without, reports.with]).stdout
    #expect(text.contains("Migrations and maintenance (not judged)"))
  }

  @Test(
    "two runs of the same workload pass both ways; the old bare-ratio rule failed them; the dropped index still fails")
  func noise() throws {
    let dir = try TemporaryDirectory()
    let noise = Paths.fixtures.appendingPathComponent("noise")
    for seed in ["401", "402"] {
      let result = try pgsift([
        "analyze", noise.appendingPathComponent("run-\(seed).log.gz").path, "-q", "-o", dir.path("\(seed).json"),
      ])
      #expect(result.status == 0, "\(result.stderr)")
    }
    for (baseline, current) in [("401", "402"), ("402", "401")] {
      let runs = [dir.path("\(baseline).json"), dir.path("\(current).json")]
      let gate = try pgsift(["compare"] + runs)
      #expect(gate.status == 0, "\(baseline) -> \(current): \(gate.stdout.prefix(2000))")
      // Without the test and with a 1 ms floor, as the gate was, noise fails it.
      let bare = try pgsift(["compare"] + runs + ["--significance", "0.9999", "--min-change", "1ms"])
      #expect(bare.status == 1, "\(baseline) -> \(current)")
    }
    // The real regression is found with its confidence.
    let reports = try Reports()
    let fail = try pgsift(["compare", reports.with, reports.without, "--format", "json"])
    #expect(fail.status == 1)
    let comparison = try JSONDecoder().decode(Comparison.self, from: Data(fail.stdout.utf8))
    #expect(comparison.regressed.map(\.fingerprint) == [Self.emailQuery])
    #expect((comparison.regressed.first?.confidence ?? 0) > 0.9999)
    let p95 = try #require(comparison.checks.first { $0.name == "max-p95-increase" })
    #expect(p95.failures.first?.hasSuffix("confidence > 99.99%") == true, "\(p95.failures)")
  }

  @Test("the rank test: identical samples give p = 0.5 or more, a clear shift a tiny p, an empty side nil")
  func rankTest() {
    func buckets(_ pairs: [(Double, Int)]) -> [HistogramBucket] {
      pairs.map {
        try! JSONDecoder().decode(HistogramBucket.self, from: Data("{\"upper_ms\": \($0.0), \"count\": \($0.1)}".utf8))
      }
    }
    let same = buckets([(1, 10), (2, 20), (4, 10)])
    #expect((Comparer.pValueLarger(same, same) ?? 0) >= 0.5)
    #expect((Comparer.pValueLarger(buckets([(1, 40)]), buckets([(8, 40)])) ?? 1) < 1e-9)
    #expect((Comparer.pValueLarger(buckets([(8, 40)]), buckets([(1, 40)])) ?? 0) > 0.99)
    #expect(Comparer.pValueLarger(nil, same) == nil)
    #expect(Comparer.pValueLarger(buckets([]), same) == nil)
  }
}
