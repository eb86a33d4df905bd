// --max-fingerprints (issue 17): past the budget the least used fingerprints are folded into one line, so memory
// does not grow with the number of distinct statements, and every statement is still counted. Held to grep and
// to the csvlog of the same run on the cardinality fixture (a real server: the shop workload with a long tail of
// 420 rare query shapes beside it).
import Foundation
import Reports
import Testing

@Suite("Fingerprint budget")
struct FingerprintBudgetTests {
  static let log = Paths.fixtures.appendingPathComponent("cardinality/postgresql.log.gz").path
  static let csv = Paths.fixtures.appendingPathComponent("cardinality/postgresql.csv.gz").path

  static func statements() throws -> Int {
    try grepCount("LOG:  duration: [0-9.]+ ms  (statement|execute)", in: "gzip -dc '\(log)'")
  }

  /// Every statement in a kept query or in the folded line, and the times add up to the total.
  func expectAccounted(_ report: AnalysisReport, statements: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    let s = report.summary
    #expect(s.statements == statements, sourceLocation: sourceLocation)
    let kept = report.queries.reduce(0) { $0 + $1.calls }
    #expect(kept + (s.folded?.calls ?? 0) == statements, sourceLocation: sourceLocation)
    let time = report.queries.reduce(0) { $0 + $1.totalMs } + (s.folded?.totalMs ?? 0)
    #expect(abs(time - s.totalMs) < 0.01, "\(time) vs \(s.totalMs)", sourceLocation: sourceLocation)
    #expect(s.fingerprints == report.queries.count, sourceLocation: sourceLocation)
  }

  @Test("past --max-fingerprints the least used are folded; every statement is still counted, the busy ones kept whole")
  func folds() throws {
    let statements = try Self.statements()
    let whole = try pgsift(["analyze", Self.log, "--format", "json", "--no-index-advice", "-q"]).report()
    #expect(whole.summary.fingerprints > 400)
    #expect(whole.summary.folded == nil)
    expectAccounted(whole, statements: statements)
    let result = try pgsift([
      "analyze", Self.log, "--format", "json", "--no-index-advice", "-q", "--max-fingerprints", "100",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try result.report()
    expectAccounted(report, statements: statements)
    let folded = try #require(report.summary.folded)
    #expect(folded.budget == 100)
    #expect(report.queries.count <= 125)
    #expect(folded.fingerprints >= whole.summary.fingerprints - report.queries.count)
    // The csvlog of the same run is counted whole too.
    let csv = try pgsift([
      "analyze", Self.csv, "--format", "json", "--no-index-advice", "-q", "--max-fingerprints", "100",
    ]).report()
    expectAccounted(csv, statements: statements)
    #expect(csv.queries.count <= 125)
    // Every query of the workload (ten calls or more) is kept with its figures; the top of each table is the same.
    let kept = Dictionary(uniqueKeysWithValues: report.queries.map { ($0.fingerprint, $0) })
    for query in whole.queries where query.calls >= 10 {
      let same = try #require(kept[query.fingerprint], "\(query.normalized) was folded")
      #expect(same.calls == query.calls && same.totalMs == query.totalMs && same.p95Ms == query.p95Ms)
    }
    #expect(report.queries.prefix(10).map(\.fingerprint) == whole.queries.prefix(10).map(\.fingerprint))
    // The text and HTML reports say it.
    let text = try pgsift([
      "analyze", Self.log, "--no-index-advice", "-q", "--max-fingerprints", "100",
    ]).stdout
    #expect(
      text.contains("folded:           \(folded.fingerprints) least used fingerprints, past --max-fingerprints 100"))
    let html = try pgsift([
      "analyze", Self.log, "--format", "html", "--no-index-advice", "-q", "--max-fingerprints", "100",
    ]).stdout
    #expect(html.contains("data-figure=\"folded\">\(folded.fingerprints) least used fingerprints"))
    // 0 keeps every one; a budget too small to mean anything is refused.
    let all = try pgsift(["analyze", Self.log, "--format", "json", "-q", "--max-fingerprints", "0"]).report()
    #expect(all.summary.fingerprints == whole.summary.fingerprints && all.summary.folded == nil)
    let small = try pgsift(["analyze", Self.log, "--max-fingerprints", "5"])
    #expect(small.status != 0)
    #expect(small.stderr.contains("--max-fingerprints must be 0 (no limit) or at least 100"), "\(small.stderr)")
  }

  @Test("merge keeps the budget: parts saved whole and merged under a budget count every statement once")
  func mergeFolds() throws {
    let dir = try TemporaryDirectory()
    let statements = try Self.statements()
    // The log cut in two at a line, as rotation cuts it.
    try shell(
      "gzip -dc '\(Self.log)' > '\(dir.path("all.log"))' && cd '\(dir.url.path)' && head -n 2000 all.log > a.log "
        + "&& tail -n +2001 all.log > b.log")
    for part in ["a", "b"] {
      let saved = try pgsift([
        "analyze", dir.path("\(part).log"), "--save-state", dir.path("\(part).state"), "--max-fingerprints", "0",
        "-q", "-o", "/dev/null",
      ])
      #expect(saved.status == 0, "\(saved.stderr)")
    }
    let merged = try pgsift([
      "merge", dir.path("a.state"), dir.path("b.state"), "--format", "json", "--no-index-advice",
      "--max-fingerprints", "100", "--save-state", dir.path("merged.state"),
    ])
    #expect(merged.status == 0, "\(merged.stderr)")
    let report = try merged.report()
    expectAccounted(report, statements: statements)
    let folded = try #require(report.summary.folded)
    #expect(report.queries.count <= 125)
    // The folded line is saved with the part and merged on: merging the merged part alone gives it back.
    let again = try pgsift(["merge", dir.path("merged.state"), "--format", "json", "--no-index-advice"]).report()
    #expect(again.summary.folded?.calls == folded.calls)
    #expect(again.summary.folded?.fingerprints == folded.fingerprints)
    expectAccounted(again, statements: statements)
  }
}
