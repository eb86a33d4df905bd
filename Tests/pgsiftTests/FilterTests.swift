// Filters applied while reading (issue 19): --database, --user, --application, --host, their --exclude- forms,
// --include-query and --exclude-query, held to grep on the tenants fixture (a real server: the shop workload
// over the socket as postgres, beside billing@shop from billing-worker and reporter@analytics from metabase,
// both over TCP from 127.0.0.1).
import Foundation
import LogInput
import Reports
import Testing

@Suite("Filters")
struct FilterTests {
  static let log = Paths.fixtures.appendingPathComponent("tenants/postgresql.log.gz").path
  static let statement = "LOG:  duration: [0-9.]+ ms  (statement|execute [^:]*): "

  /// Statements of the log whose prefix matches `who` (an extended regular expression on the prefix).
  static func statements(_ who: String) throws -> Int {
    try grepCount("^[^]]*\\] \(who) LOG:  duration: [0-9.]+ ms  (statement|execute)", in: "gzip -dc '\(log)'")
  }

  /// A count as the text report writes it (1,234).
  static func grouped(_ n: Int) -> String { n.grouped }

  func report(_ options: [String]) throws -> AnalysisReport {
    let result = try pgsift(["analyze", Self.log, "--format", "json", "--no-index-advice", "-q"] + options)
    #expect(result.status == 0, "\(options): \(result.stderr)")
    return try result.report()
  }

  @Test("each record filter keeps what grep counts for it, and the report says what it left out")
  func recordFilters() throws {
    let all = try Self.statements(".*")
    #expect(try report([]).summary.statements == all)
    #expect(try report([]).input.filters == nil)
    let cases: [([String], String)] = [
      (["--database", "analytics"], "[^@ ]*@analytics app=.* host=.*"),
      (["--user", "billing"], "billing@[^ ]* app=.* host=.*"),
      (
        ["--application", "metabase", "--application", "billing-worker"], "[^ ]* app=(metabase|billing-worker) host=.*"
      ),
      (["--host", "127.0.0.1"], "[^ ]* app=.* host=127\\.0\\.0\\.1"),
    ]
    for (options, who) in cases {
      let expected = try Self.statements(who)
      #expect(expected > 100, "\(options): the fixture has \(expected)")
      let r = try report(options)
      #expect(r.summary.statements == expected, "\(options)")
      let excluded = try report(options.map { $0.hasPrefix("--") ? "--exclude-" + $0.dropFirst(2) : $0 })
      #expect(excluded.summary.statements == all - expected, "\(options) excluded")
      #expect(r.input.files[0].filteredRecords > 0)
    }
    let one = try report(["--database", "analytics", "--exclude-user", "postgres"])
    #expect(one.input.filters == "database analytics; not user postgres")
    // Every query left is reporter's, in analytics, from metabase.
    for query in one.queries {
      #expect(query.databases.map(\.name) == ["analytics"] && query.users.map(\.name) == ["reporter"])
    }
  }

  @Test("--include-query and --exclude-query keep what grep counts; a bad pattern is a usage error")
  func queryFilters() throws {
    let all = try Self.statements(".*")
    let transaction = try grepCount(Self.statement + "(BEGIN|END|COMMIT)", in: "gzip -dc '\(Self.log)'")
    #expect(transaction > 100)
    let without = try report(["--exclude-query", "^(BEGIN|END|COMMIT)"])
    #expect(without.summary.statements == all - transaction)
    #expect(without.summary.filteredStatements == transaction)
    #expect(!without.queries.contains { $0.normalized.hasPrefix("BEGIN") || $0.normalized.hasPrefix("END") })
    let caseless = Int(
      try shell("gzip -dc '\(Self.log)' | grep -ciE '\(Self.statement)select' || true").stdout
        .trimmingCharacters(in: .whitespacesAndNewlines))
    let only = try report(["--include-query", "(?i)^select"])
    #expect(only.summary.statements == caseless)
    #expect(only.summary.statements + only.summary.filteredStatements == all)
    // The text report names the filter and what it left out.
    let text = try pgsift(["analyze", Self.log, "--no-index-advice", "-q", "--exclude-query", "^(BEGIN|END|COMMIT)"])
    #expect(
      text.stdout.contains(
        "  filters: not query matching /^(BEGIN|END|COMMIT)/; 0 records and \(Self.grouped(transaction)) statements left out"
      ), "\(text.stdout.prefix(800))")
    let bad = try pgsift(["analyze", Self.log, "--exclude-query", "(unclosed"])
    #expect(bad.status == 64 || bad.status == 1, "\(bad.status)")
    #expect(bad.stderr.contains("/(unclosed/ is not a regular expression"), "\(bad.stderr)")
    // A filter that leaves nothing says so instead of asking for log_min_duration_statement.
    let none = try pgsift(["analyze", Self.log, "--no-index-advice", "-q", "--database", "nosuch"])
    #expect(none.stdout.contains("No statement is left after the filters (database nosuch)"))
    #expect(!none.stdout.contains("log_min_duration_statement"))
  }

  @Test("a merge of filtered parts says what they filtered; parts filtered differently are refused")
  func mergedFilters() throws {
    let dir = try TemporaryDirectory()
    let filtered = ["--database", "analytics", "--exclude-query", "^BEGIN"]
    for (name, options) in [("a", filtered), ("b", filtered), ("c", [String]())] {
      let saved = try pgsift(
        [
          "analyze", Self.log, "--no-index-advice", "-q", "--save-state", dir.path("\(name).state"), "-o",
          dir.path("\(name).json"),
        ]
          + options)
      #expect(saved.status == 0, "\(saved.stderr)")
    }
    let single = try report(filtered)
    let merged = try pgsift(["merge", dir.path("a.state"), "--format", "json", "--no-index-advice"])
    #expect(merged.status == 0, "\(merged.stderr)")
    #expect(try merged.report().input.filters == single.input.filters)
    #expect(single.input.filters == "database analytics; not query matching /^BEGIN/")
    let mixed = try pgsift(["merge", dir.path("a.state"), dir.path("c.state"), "--format", "json"])
    #expect(mixed.status == 2)
    #expect(
      mixed.stderr.contains("saved with no filter, the parts before with filters (database analytics; "),
      "\(mixed.stderr)")
  }
}
