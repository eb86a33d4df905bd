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
    // The other rises over 20% are noise (40 calls each): not regressions by default, regressions when the test
    // is all but switched off.
    #expect(try status(["--budget", file, "--max-mean-increase", "20%"]) == 0)
    #expect(
      try status([
        "--budget", file, "--max-mean-increase", "20%", "--significance", "0.999", "--min-change", "1ms",
        "--correction", "none",
      ]) == 1)
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

  @Test("reports made with a different threshold, filters or redaction are refused unless allowed")
  func differentSettings() throws {
    let reports = try Reports()
    let log = Self.gate.appendingPathComponent("with-indexes.log.gz").path
    for (name, options, said) in [
      ("threshold", ["--threshold", "100ms"], "--threshold 30 ms and 100 ms (slow counts and new slow queries"),
      ("filters", ["--exclude-query", "^BEGIN"], "filters none and (not query matching /^BEGIN/)"),
      ("redacted", ["--redact"], "one report redacted (--redact) and the other not"),
    ] {
      let other = reports.dir.path("\(name).json")
      #expect(try pgsift(["analyze", log, "-q", "-o", other] + options).status == 0)
      let refused = try pgsift(["compare", reports.with, other])
      #expect(refused.status == 2, "\(name): \(refused.stderr)")
      #expect(
        refused.stderr.contains("cannot compare: \(reports.with) and \(other) were made with \(said)"),
        "\(name): \(refused.stderr)")
      #expect(refused.stderr.contains("Give --allow-different-settings to compare them anyway"))
      let allowed = try pgsift(["compare", reports.with, other, "--allow-different-settings"])
      #expect(allowed.status != 2, "\(name): \(allowed.stderr)")
      #expect(allowed.stderr.contains("pgsift: caution: \(reports.with) and \(other) were made with \(said)"))
      // analyze --baseline refuses the same way.
      let oneStep = try pgsift(["analyze", log, "-q", "--baseline", other, "-o", reports.dir.path("x.json")])
      #expect(oneStep.status == 2, "\(name): \(oneStep.stderr)")
    }
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
      let bare = try pgsift(
        ["compare"] + runs + ["--significance", "0.9999", "--min-change", "1ms", "--correction", "none"])
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
    #expect(
      p95.failures.first?.hasSuffix("confidence > 99.99% (Holm's correction over \(comparison.tests) tests)") == true,
      "\(p95.failures)")
    #expect(comparison.testedQueries > 10 && comparison.correction == "holm")
  }

  /// JSON reports of the same-workload runs with their indexes (fixtures/gate, seeds 31 to 35) and of the noise
  /// runs (fixtures/noise, seeds 401 to 403), by name.
  static func heldOut(_ dir: TemporaryDirectory) throws -> [String: String] {
    var reports: [String: String] = [:]
    let logs =
      [
        ("with-indexes", gate.appendingPathComponent("with-indexes.log.gz")),
        ("main-32", gate.appendingPathComponent("main-32.log.gz")),
        ("main-33", gate.appendingPathComponent("main-33.log.gz")),
        ("same-34", gate.appendingPathComponent("same-34.log.gz")),
        ("main-35", gate.appendingPathComponent("main-35.log.gz")),
        ("dropped", gate.appendingPathComponent("email-index-dropped.log.gz")),
      ]
      + ["401", "402", "403"].map { ("noise-\($0)", Paths.fixtures.appendingPathComponent("noise/run-\($0).log.gz")) }
    for (name, log) in logs {
      let out = dir.path("\(name).json")
      let result = try pgsift(["analyze", log.path, "-q", "-o", out])
      #expect(result.status == 0, "\(name): \(result.stderr)")
      reports[name] = out
    }
    return reports
  }

  @Test("held-out runs: every ordered pair of the same workload passes with the defaults; the lost index fails each")
  func heldOutPairs() throws {
    let dir = try TemporaryDirectory()
    let reports = try Self.heldOut(dir)
    var pairs = 0
    let withIndexes = ["with-indexes", "main-32", "main-33", "same-34", "main-35"]
    for family in [withIndexes, ["noise-401", "noise-402", "noise-403"]] {
      for baseline in family {
        for current in family where current != baseline {
          let gate = try pgsift(["compare", reports[baseline]!, reports[current]!])
          #expect(gate.status == 0, "\(baseline) -> \(current): \(gate.stdout.prefix(1500))")
          pairs += 1
        }
      }
    }
    #expect(pairs == 26)
    // Against each run with the index, the run without it fails on exactly the query the index served.
    for baseline in withIndexes {
      let fail = try pgsift(["compare", reports[baseline]!, reports["dropped"]!, "--format", "json"])
      #expect(fail.status == 1, "\(baseline)")
      let comparison = try JSONDecoder().decode(Comparison.self, from: Data(fail.stdout.utf8))
      #expect(comparison.regressed.map(\.fingerprint) == [Self.emailQuery], "\(baseline)")
      #expect(comparison.newSlow.isEmpty && comparison.callsMultiplied.isEmpty, "\(baseline)")
      #expect(comparison.drift?.allSatisfy { $0 >= 1 } == true)
    }
  }

  @Test("several baselines: each query judged against its band over them; a directory is its reports, newest first")
  func severalBaselines() throws {
    let dir = try TemporaryDirectory()
    let reports = try Self.heldOut(dir)
    let main = ["main-33", "main-32", "with-indexes"].map { reports[$0]! }
    let pass = try pgsift(["compare"] + main + [reports["same-34"]!, "--format", "json"])
    #expect(pass.status == 0, "\(pass.stdout.prefix(1500))")
    let passed = try JSONDecoder().decode(Comparison.self, from: Data(pass.stdout.utf8))
    #expect(passed.baselines?.map(\.path) == main)
    #expect(passed.baseline.path == main[0])
    let fail = try pgsift(["compare"] + main + [reports["dropped"]!, "--format", "json"])
    #expect(fail.status == 1)
    let failed = try JSONDecoder().decode(Comparison.self, from: Data(fail.stdout.utf8))
    #expect(failed.regressed.map(\.fingerprint) == [Self.emailQuery])
    let email = try #require(failed.regressed.first)
    #expect(email.band?.runs == 3)
    let band = try #require(email.band?.p95Ms)
    // The baseline shown is the band's top, and the band holds each run's p95.
    #expect(email.baseline?.p95Ms == band[1] && band[0] <= band[1])
    let text = try pgsift(["compare"] + main + [reports["dropped"]!]).stdout
    #expect(text.contains("(top of 3 baselines)"))
    #expect(text.contains("against the noise band of 3 baseline runs"))
    // A directory of the main branch's reports, newest first by modification time.
    let history = dir.path("main")
    try FileManager.default.createDirectory(atPath: history, withIntermediateDirectories: true)
    for (age, name) in ["with-indexes", "main-32", "main-33"].enumerated() {
      let copy = "\(history)/\(name).json"
      try FileManager.default.copyItem(atPath: reports[name]!, toPath: copy)
      try FileManager.default.setAttributes(
        [.modificationDate: Date(timeIntervalSinceNow: Double(age - 10) * 60)], ofItemAtPath: copy)
    }
    let fromDirectory = try pgsift(["compare", history, reports["dropped"]!, "--format", "json"])
    let viaDirectory = try JSONDecoder().decode(Comparison.self, from: Data(fromDirectory.stdout.utf8))
    #expect(
      viaDirectory.baselines?.map { ($0.path as NSString).lastPathComponent } == [
        "main-33.json", "main-32.json", "with-indexes.json",
      ])
    #expect(viaDirectory.regressed.map(\.fingerprint) == [Self.emailQuery])
    let newest = try pgsift(["compare", history, reports["dropped"]!, "--format", "json", "--max-baselines", "1"])
    let one = try JSONDecoder().decode(Comparison.self, from: Data(newest.stdout.utf8))
    #expect(one.baselines == nil && (one.baseline.path as NSString).lastPathComponent == "main-33.json")
    // analyze --baseline takes several too.
    let oneStep = try pgsift(
      ["analyze", Self.gate.appendingPathComponent("email-index-dropped.log.gz").path, "-q", "-o", dir.path("x.json")]
        + main.flatMap { ["--baseline", $0] } + ["--gate-output", dir.path("gate.json")])
    #expect(oneStep.status == 1)
    let gated = try JSONDecoder().decode(
      Comparison.self, from: try Data(contentsOf: dir.url.appendingPathComponent("gate.json")))
    #expect(gated.baselines?.count == 3 && gated.regressed.map(\.fingerprint) == [Self.emailQuery])
    let empty = dir.path("empty")
    try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
    let none = try pgsift(["compare", empty, reports["dropped"]!])
    #expect(none.status == 2 && none.stderr.contains("no .json report in this directory"))
  }

  @Test("the ratio bootstrap: a rise past the limit on many calls is sure, the same rise on a p95 of 40 calls is not")
  func ratioBootstrap() {
    func buckets(_ pairs: [(Double, Int)]) -> [HistogramBucket] {
      pairs.map {
        try! JSONDecoder().decode(HistogramBucket.self, from: Data("{\"upper_ms\": \($0.0), \"count\": \($0.1)}".utf8))
      }
    }
    func p(_ a: [HistogramBucket]?, _ b: [HistogramBucket], observed: Double, limit: Double = 1.2) -> Double? {
      RatioBootstrap.pValueAbove(.p95, baseline: a, current: b, observed: observed, limit: limit, seed: 7)
    }
    // 1,000 calls each, the slowest 10% moved from 8 to 32 ms: the p95 x4, far past +20%.
    let before = buckets([(1, 800), (2, 100), (8, 100)])
    let after = buckets([(1, 800), (2, 100), (32, 100)])
    #expect((p(before, after, observed: 4) ?? 1) < 1e-6)
    // The same histograms and a ratio of 1: no rise past the limit.
    #expect((p(before, before, observed: 1) ?? 0) > 0.5)
    // 40 calls whose p95 rests on its two slowest, one of them three times slower: x3 by chance is likely.
    let few = buckets([(1, 36), (2, 2), (4, 1), (16, 1)])
    let fewAfter = buckets([(1, 36), (2, 1), (4, 1), (16, 2)])
    #expect((p(few, fewAfter, observed: 4) ?? 0) > 0.01)
    // The same draws for the same seed; no histogram, no test.
    #expect(p(few, fewAfter, observed: 4) == p(few, fewAfter, observed: 4))
    #expect(p(nil, after, observed: 4) == nil)
    #expect(p(buckets([]), after, observed: 4) == nil)
  }

  @Test("Holm's step-down: the smallest p against level/m, the next against level/(m-1), stopping at the first miss")
  func holm() {
    let p: [Double?] = [0.004, 0.02, nil, 0.001, 0.3, 0.012]
    // m = 5 tested: 0.001 < 0.01/5, then 0.004 >= 0.01/4 stops; nil (no test) always counts.
    #expect(Comparer.significant(p, level: 0.01, correction: .holm) == [false, false, true, true, false, false])
    #expect(Comparer.significant(p, level: 0.01, correction: .none) == [true, false, true, true, false, false])
    #expect(Comparer.significant(p, level: 0.05, correction: .none) == [true, true, true, true, false, true])
    // 0.05: 0.001 < 0.01, 0.004 < 0.0125, 0.012 < 0.0167, 0.02 < 0.025, 0.3 >= 0.05.
    #expect(Comparer.significant(p, level: 0.05, correction: .holm) == [true, true, true, true, false, true])
    #expect(Comparer.significant([0.011, 0.012], level: 0.05, correction: .holm) == [true, true])
    #expect(Comparer.significant([0.03, 0.04], level: 0.05, correction: .holm) == [false, false])
  }
}
