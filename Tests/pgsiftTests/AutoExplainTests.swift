// auto_explain plans: fixtures/auto_explain holds a real PostgreSQL 15 server's log with auto_explain in text and
// in JSON format (made by fixtures/auto_explain/generate). Figures below are read off those logs.
import Foundation
import LogReading
import Reports
import Testing

@Suite("auto_explain plans")
struct AutoExplainTests {
  func report(_ format: String) throws -> AnalysisReport {
    let log = Paths.fixtures.appendingPathComponent("auto_explain/postgresql-\(format).log.gz").path
    let result = try pgsift(["analyze", log, "--format", "json"])
    #expect(result.status == 0, "\(result.stderr)")
    return try result.report()
  }

  @Test(
    "each plan goes to its query's fingerprint, with its facts, in text and JSON format", arguments: ["text", "json"])
  func facts(_ format: String) throws {
    let report = try report(format)
    // Plans are not statements: 8 `statement:` records, as grep counts them.
    #expect(report.summary.statements == 8)
    let byText = { (part: String) in report.queries.first { $0.normalized.contains(part) } }
    let scan = try #require(byText("WHERE customer_id = $1")?.plan)
    #expect(scan.explained == 2)
    // Two sequential scans of orders, each filter throwing away 19,960 of 20,000 rows.
    #expect(scan.seqScans == [SeqScanReport(table: "orders", scans: 2, rowsRemoved: 39_920)])
    let join = try #require(byText("JOIN orders p")?.plan)
    #expect(join.sortMethods == [NameCount(name: "external sort", calls: 1)])
    #expect(join.sortDiskKB == 32)
    #expect(join.tempBlocksWritten == 14)
    #expect(try #require(byText("WHERE id = $1")?.plan).seqScans.isEmpty)
    #expect(scan.examplePlan?.contains("Rows Removed by Filter") == true)
  }

  @Test("text and JSON plans give the same facts")
  func sameFacts() throws {
    func facts(_ report: AnalysisReport) -> [String: [String]] {
      var out: [String: [String]] = [:]
      for q in report.queries {
        guard let p = q.plan else { continue }
        out[q.fingerprint] = [
          "\(p.explained)", "\(p.seqScans)", "\(p.sortMethods)", "\(p.sortDiskKB)", "\(p.tempBlocksWritten)",
        ]
      }
      return out
    }
    #expect(facts(try report("text")) == facts(try report("json")))
    let log = Paths.fixtures.appendingPathComponent("auto_explain/postgresql-text.log.gz").path
    let text = try pgsift(["analyze", log]).stdout
    #expect(text.contains("Plans (auto_explain: 6 plans)"))
    #expect(text.contains("seq scan on orders x2, 39,920 rows removed"))
  }
}
