// --dsn: suggestions checked against a real PostgreSQL 15 with HypoPG, read-only.
import Foundation
import Reports
import Testing

@Suite("Index advisor validated with HypoPG", .serialized)
struct ValidationTests {
  static let log = Paths.shop.appendingPathComponent("postgresql.log.gz").path

  @Test(
    "every validated suggestion at least halves the planner's cost; nothing is written",
    .enabled(if: LiveServer.available, "needs PostgreSQL 15 and postgresql-15-hypopg (scripts/test installs them)"))
  func validated() throws {
    let extensionScript = try TemporaryDirectory()
    let hypopg = extensionScript.path("hypopg.sql")
    try "CREATE EXTENSION hypopg;\n".write(toFile: hypopg, atomically: true, encoding: .utf8)
    let schema = Paths.shop.appendingPathComponent("schema.sql").path
    let server = try LiveServer(databases: ["shop": [schema, hypopg], "plain": [schema]])
    let indexesBefore = try server.psql("shop", "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'")

    let result = try pgsift(["analyze", Self.log, "--format", "json", "--dsn", server.dsn("shop")])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try result.report()
    let validated = report.indexSuggestions.filter { $0.validated != nil }
    #expect(validated.count >= 5)
    for suggestion in validated {
      let plans = try #require(suggestion.validated?.plans)
      let before = plans.reduce(0.0) { $0 + $1.costBefore * Double(max(1, served(suggestion, $1.fingerprint))) }
      let after = plans.reduce(0.0) { $0 + $1.costAfter * Double(max(1, served(suggestion, $1.fingerprint))) }
      #expect(after <= before * 0.5, "\(suggestion.ddl): \(before) -> \(after)")
      #expect(plans.contains { $0.usesIndex }, "\(suggestion.ddl)")
      #expect(suggestion.confidence == "validated")
      #expect((suggestion.validated?.indexBytes ?? 0) > 0)
    }
    for expected in [
      ("orders", ["customer_id", "created_at"]), ("customers", ["email"]), ("order_items", ["product_id"]),
    ] {
      #expect(validated.contains { $0.table == expected.0 && $0.columns == expected.1 }, "\(expected)")
    }
    // The events lookup by customer runs through pgbench -M prepared: its $1 gets PostgreSQL's generic plan.
    let events = try #require(validated.first { $0.table == "events" && $0.columns == ["customer_id"] })
    #expect(events.validated?.plans.first?.generic == true)
    // Rejected ones are reported with their figures, and did not halve the cost.
    for rejected in report.rejectedIndexSuggestions {
      let plans = try #require(rejected.validated?.plans)
      #expect(plans.reduce(0) { $0 + $1.costAfter } > 0)
    }
    // pg_stats from the database: the events row is sized by its payload's measured width, not a guess.
    let offline = try pgsift(["analyze", Self.log, "--format", "json", "--schema", schema]).report()
    let offlineEvents = try #require(
      offline.indexSuggestions.first { $0.table == "events" && $0.columns == ["customer_id"] })
    #expect(events.writeCost.rowBytes != nil && offlineEvents.writeCost.rowBytes != nil)
    #expect(events.writeCost.rowBytes! < offlineEvents.writeCost.rowBytes!)
    // Read-only: no real index appeared.
    #expect(try server.psql("shop", "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'") == indexesBefore)

    // A database without HypoPG: the advice stays heuristic, and the run says why.
    let plain = try pgsift(["analyze", Self.log, "--format", "json", "--dsn", server.dsn("plain")])
    #expect(plain.status == 2)
    #expect(plain.stderr.contains("HypoPG is not installed"))
    let plainReport = try plain.report()
    #expect(!plainReport.indexSuggestions.isEmpty)
    #expect(plainReport.indexSuggestions.allSatisfy { $0.confidence == "heuristic" })
  }

  func served(_ suggestion: IndexSuggestionReport, _ fingerprint: String) -> Int {
    suggestion.served.first { $0.fingerprint == fingerprint }?.calls ?? 1
  }

  @Test("a database that cannot be reached: exit 2, the offline advice still written")
  func unreachable() throws {
    let result = try pgsift([
      "analyze", Self.log, "--format", "json", "--dsn", "host=/nonexistent port=1 dbname=x connect_timeout=2",
    ])
    #expect(result.status == 2)
    #expect(result.stderr.contains("--dsn: cannot connect"))
    #expect(try !result.report().indexSuggestions.isEmpty)
  }
}
