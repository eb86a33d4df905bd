// The gate's calls check on real runs: a loop sent five times as often is caught and its queries named together
// (fixtures/calls, made by its `generate`); a run that is only longer (two runs of the same workload against one)
// multiplies nothing.
import Foundation
import Regression
import Testing

@Suite("CI gate: calls multiplied")
struct CallsGateTests {
  /// The comparison of the JSON reports of `before` and `after` (each a list of logs).
  static func compare(_ before: [String], _ after: [String]) throws -> (status: Int32, comparison: Comparison) {
    let dir = try TemporaryDirectory()
    for (logs, out) in [(before, "before.json"), (after, "after.json")] {
      let result = try pgsift(["analyze"] + logs + ["-o", dir.path(out), "-q"])
      #expect(result.status == 0, "\(result.stderr)")
    }
    let result = try pgsift(["compare", dir.path("before.json"), dir.path("after.json"), "--format", "json"])
    return (result.status, try JSONDecoder().decode(Comparison.self, from: Data(result.stdout.utf8)))
  }

  @Test("an N+1 loop sent five times as often fails the gate, its page query and per-row lookup named together")
  func loopMultiplied() throws {
    let calls = Paths.fixtures.appendingPathComponent("calls")
    let (status, comparison) = try Self.compare(
      [calls.appendingPathComponent("before.log.gz").path], [calls.appendingPathComponent("after.log.gz").path])
    #expect(status == 1)
    let multiplied = comparison.callsMultiplied
    #expect(multiplied.count == 2, "\(multiplied.map(\.normalized))")
    let page = try #require(multiplied.first { $0.normalized.hasPrefix(#"SELECT "orders"."id""#) })
    let lookup = try #require(multiplied.first { $0.normalized.hasPrefix(#"SELECT "customers"."id""#) })
    #expect(page.grewWith == [lookup.fingerprint])
    #expect(lookup.grewWith == [page.fingerprint])
    // The factor beyond the run's own growth: the run grew a little (the loop's statements), the loop about x3.
    #expect((lookup.relativeCallsFactor ?? 0) > 2 && (lookup.relativeCallsFactor ?? 0) < (lookup.callsFactor ?? 0))
    let check = try #require(comparison.checks.first { $0.name == "max-calls-factor" })
    #expect(check.failures.allSatisfy { $0.contains("grew together with") })
  }

  @Test("a longer run (two runs of the same workload against one) multiplies nothing: calls grew with the run")
  func grewWithTheRun() throws {
    let noise = Paths.fixtures.appendingPathComponent("noise")
    let one = noise.appendingPathComponent("run-401.log.gz").path
    let two = noise.appendingPathComponent("run-402.log.gz").path
    let (status, comparison) = try Self.compare([one], [one, two])
    #expect(comparison.current.statements > 2 * comparison.baseline.statements)
    #expect(comparison.callsMultiplied.isEmpty, "\(comparison.callsMultiplied.map(\.fingerprint))")
    #expect(status == 0, "\(comparison.checks.filter { !$0.passed }.map(\.failures))")
  }

  @Test("GitLab's Code Quality report: one issue per finding, stable fingerprints, the whole-run checks critical")
  func codeQuality() throws {
    let calls = Paths.fixtures.appendingPathComponent("calls")
    let dir = try TemporaryDirectory()
    for name in ["before", "after"] {
      #expect(
        try pgsift([
          "analyze", calls.appendingPathComponent("\(name).log.gz").path, "-o", dir.path("\(name).json"), "-q",
        ]).status == 0)
    }
    let report = dir.path("gl-code-quality-report.json")
    let result = try pgsift(["compare", dir.path("before.json"), dir.path("after.json"), "-o", report])
    #expect(result.status == 1)
    let issues = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [[String: Any]])
    #expect(issues.count == 2)
    for issue in issues {
      #expect((issue["check_name"] as? String) == "pgsift.max-calls-factor")
      #expect((issue["severity"] as? String) == "major")
      #expect(((issue["location"] as? [String: Any])?["path"] as? String) == dir.path("after.json"))
      #expect((issue["fingerprint"] as? String)?.count == 16)
    }
    #expect(Set(issues.compactMap { $0["fingerprint"] as? String }).count == 2)
    // The same findings again give the same fingerprints.
    let again = try pgsift(["compare", dir.path("before.json"), dir.path("after.json"), "--format", "codequality"])
    let second = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [[String: Any]])
    #expect(
      Set(second.compactMap { $0["fingerprint"] as? String }) == Set(issues.compactMap { $0["fingerprint"] as? String })
    )
  }
}
