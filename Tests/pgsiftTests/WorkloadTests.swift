// The workload by kind of statement (issue 19): each kind's executions as grep counts them on the shop corpus,
// and all kinds together are every statement, the folded line included.
import Foundation
import Reports
import Testing

@Suite("Workload by type")
struct WorkloadTests {
  static let shopLog = Paths.shop.appendingPathComponent("postgresql.log.gz").path

  @Test("statements by type: each kind as grep counts it, all of them adding up to every statement")
  func byType() throws {
    let report = try pgsift(["analyze", Self.shopLog, "--format", "json", "-q", "--no-index-advice"]).report()
    let types = try #require(report.statementTypes)
    let calls = Dictionary(uniqueKeysWithValues: types.map { ($0.type, $0.calls) })
    func grep(_ words: String) throws -> Int {
      Int(
        try shell(
          "gzip -dc '\(Self.shopLog)' | grep -ciE 'LOG:  duration: [0-9.]+ ms  (statement|execute [^:]*): *(\(words))\\b' "
            + "|| true"
        ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }
    #expect(calls["transaction control"] == (try grep("BEGIN|END|COMMIT|ROLLBACK|ABORT|SAVEPOINT|RELEASE|START")))
    #expect(calls["DDL"] == (try grep("CREATE|ALTER|DROP|TRUNCATE|COMMENT|GRANT|REVOKE")))
    #expect(calls["COPY"] == (try grep("COPY")))
    #expect(calls["DELETE"] == (try grep("DELETE")))
    #expect(calls["UPDATE"] == (try grep("UPDATE")))
    #expect(types.reduce(0) { $0 + $1.calls } == report.summary.statements)
    #expect(abs(types.reduce(0) { $0 + $1.totalMs } - report.summary.totalMs) < 0.01)
    // Past --max-fingerprints the folded executions are a line of their own, and the sum still holds.
    let folded = try pgsift([
      "analyze", Paths.fixtures.appendingPathComponent("cardinality/postgresql.log.gz").path, "--format", "json",
      "-q", "--no-index-advice", "--max-fingerprints", "100",
    ]).report()
    let foldedTypes = try #require(folded.statementTypes)
    #expect(foldedTypes.contains { $0.type == "folded" && $0.calls == folded.summary.folded?.calls })
    #expect(foldedTypes.reduce(0) { $0 + $1.calls } == folded.summary.statements)
    // The text and HTML reports show it.
    let text = try pgsift(["analyze", Self.shopLog, "-q", "--no-index-advice"]).stdout
    #expect(text.contains("Statements by type\n  type "))
    #expect(text.contains("\n  transaction control  "))
    let html = try pgsift(["analyze", Self.shopLog, "-q", "--no-index-advice", "--format", "html"]).stdout
    #expect(html.contains("<section id=\"types\"><h2>Statements by type</h2>"))
    #expect(
      html.contains("<tr data-type=\"SELECT\"><td>SELECT</td><td>\(FilterTests.grouped(calls["SELECT"] ?? 0))</td>"))
  }
}
