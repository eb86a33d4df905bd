// The workload by database, user, application and host, held to grep counts of a real multi-tenant run
// (fixtures/tenants: a dominant application and database beside minorities) and to its own csvlog.
import Foundation
import Reports
import Testing

@Suite("Time by database, user, application and host")
struct TimeByTests {
  static let log = Paths.fixtures.appendingPathComponent("tenants/postgresql.log.gz").path

  @Test("calls by each name equal grep's count of that name's timed statements; each field adds up to all")
  func matchesGrep() throws {
    let report = try pgsift(["analyze", Self.log, "--format", "json"]).report()
    let by = try #require(report.timeBy)
    #expect(by.database.count >= 3 && by.user.count >= 3 && by.application.count >= 4)
    // The prefix is `%m [%p] %q%u@%d app=%a host=%h `; a timed statement is a `duration:` with its text.
    func grep(_ field: String) throws -> Int {
      try grepCount("\(field).*LOG:  duration: [0-9.]+ ms  (statement|execute [^:]*):", in: "zcat '\(Self.log)'")
    }
    for entry in by.database {
      let counted = try grep("@\(entry.name) app=")
      #expect(entry.calls == counted, "database \(entry.name)")
    }
    for entry in by.application { #expect(entry.calls == (try grep(" app=\(entry.name) host=")), "app \(entry.name)") }
    for entry in by.user { #expect(entry.calls == (try grep("\\] \(entry.name)@")), "user \(entry.name)") }
    for list in [by.database, by.user, by.application, by.host] {
      #expect(list.reduce(0) { $0 + $1.calls } == report.summary.statements)
      #expect(abs(list.reduce(0) { $0 + $1.totalMs } - report.summary.totalMs) < 0.5)
    }
    let text = try pgsift(["analyze", Self.log]).stdout
    #expect(text.contains("Time by database, user, application and host"))
    #expect(text.contains("billing-worker"))
  }

  @Test("the csvlog of the same run gives the same figures")
  func csvAgrees() throws {
    let stderr = try pgsift(["analyze", Self.log, "--format", "json"]).report().timeBy
    let csv = Paths.fixtures.appendingPathComponent("tenants/postgresql.csv.gz").path
    let fromCSV = try pgsift(["analyze", csv, "--format", "json"]).report().timeBy
    #expect(stderr?.database == fromCSV?.database)
    #expect(stderr?.user == fromCSV?.user)
    #expect(stderr?.application == fromCSV?.application)
  }
}
