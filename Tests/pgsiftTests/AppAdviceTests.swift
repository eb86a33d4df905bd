// Application advice through the CLI on real logs: fixtures/orm is the shared corpus generator run with an N+1
// loop, row-by-row inserts and updates, SELECT * and deep OFFSET pages, and a client that reconnects for every
// transaction (see its generate script). The counts to expect come from grep over the log and from the
// workload scripts, not from pgsift; the shop corpus's ordinary traffic must give only what is in it.
import Foundation
import Reports
import Testing

@Suite("Application advice")
struct AppAdviceTests {
  static let orm = Paths.fixtures.appendingPathComponent("orm")
  static func log(_ format: String) -> String { orm.appendingPathComponent("postgresql.\(format).gz").path }

  /// Lines of the stderr log that match an extended regular expression, as grep counts them.
  static func grep(_ pattern: String, in path: String = log("log")) throws -> Int {
    try grepCount(pattern, in: "gzip -dc '\(path)'")
  }

  static func advice(_ arguments: [String]) throws -> [AppAdviceReport] {
    let result = try pgsift(["analyze", "--format", "json"] + arguments)
    #expect(result.status == 0, "\(result.stderr)")
    return try #require(try result.report().appAdvice)
  }

  @Test(
    "each pattern of the ORM workload is found, with the counts grep and the workload give",
    arguments: ["log", "csv", "json"])
  func ormWorkload(_ format: String) throws {
    let report = try pgsift(["analyze", "--format", "json", Self.log(format)]).report()
    let advice = try #require(report.appAdvice)
    func query(_ fingerprint: String) throws -> Query {
      try #require(report.queries.first { $0.fingerprint == fingerprint })
    }

    // N+1: every page of orders (the parent) was followed by 12 customer lookups (workload/n_plus_one.sql).
    let parents = try Self.grep("FROM \"orders\" WHERE \"orders\".\"customer_id\" >=")
    let lookups = try Self.grep("WHERE \"customers\".\"id\" = [0-9]+ LIMIT 21")
    #expect(parents > 10 && lookups == 12 * parents)
    let nPlusOne = advice.filter { $0.kind == "n_plus_one" }
    #expect(nPlusOne.count == 1, "\(nPlusOne)")
    let loop = try #require(nPlusOne.first)
    #expect(loop.occurrences == parents)
    #expect(loop.evidence["calls"] == Double(lookups))
    #expect(try query(loop.fingerprints[0]).normalized.contains("\"orders\".\"customer_id\" >="))
    #expect(try query(loop.fingerprints[1]).normalized.contains("\"customers\".\"id\" = $1"))
    #expect(loop.fix.contains("select_related"))

    // Row-by-row writes: 6 rounds of 40 inserts and of 25 updates (workload/orm_loops.py).
    let writes = advice.filter { $0.kind == "row_by_row_write" }
    #expect(writes.count == 2, "\(writes)")
    let inserts = try #require(writes.first { $0.fix.contains("bulk_create") })
    #expect(try Self.grep("INSERT INTO \"events\" .*RETURNING") == 6 * 40)
    #expect(inserts.occurrences == 6 && inserts.evidence["calls"] == 240 && inserts.evidence["longest"] == 40)
    let updates = try #require(writes.first { $0.fix.contains("bulk_update") })
    #expect(try Self.grep("UPDATE \"orders\" SET \"status\" = .paid.") == 6 * 25)
    #expect(updates.occurrences == 6 && updates.evidence["calls"] == 150)

    // Wide reads: SELECT * on orders, 180 times; deep pages: the workload's OFFSETs, and the corpus's own.
    let wide = try #require(advice.first { $0.kind == "wide_read" })
    #expect(wide.occurrences == (try Self.grep("SELECT \\* FROM orders WHERE customer_id")))
    #expect(advice.filter { $0.kind == "wide_read" }.count == 1)
    let deepest = try shell(
      "gzip -dc '\(Self.log("log"))' | grep -o -E 'LIMIT 25 OFFSET [0-9]+' | awk '{print $4}' | sort -n | tail -1"
    ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let pages = try #require(advice.first { $0.kind == "deep_offset" && $0.finding.contains("`products`") })
    #expect(pages.evidence["max_offset"] == Double(deepest))
    #expect(pages.occurrences == (try Self.grep("LIMIT 25 OFFSET [0-9]+")))

    // Connection churn: pgbench -C connects for every transaction.
    let churn = try #require(advice.first { $0.kind == "connection_churn" })
    #expect(churn.evidence["connections"] == Double(try Self.grep("connection received: ")))
    #expect((churn.evidence["short_share"] ?? 0) > 0.9)
    #expect(churn.fix.contains("CONN_MAX_AGE") && churn.fix.contains("PgBouncer"))
    #expect(
      Set(advice.map(\.kind)) == ["n_plus_one", "row_by_row_write", "wide_read", "deep_offset", "connection_churn"])
  }

  @Test("the three formats give the same advice")
  func formatsAgree() throws {
    let reference = try Self.advice([Self.log("log")])
    for format in ["csv", "json"] {
      let other = try Self.advice([Self.log(format)])
      #expect(other.map(\.kind) == reference.map(\.kind))
      #expect(other.map(\.fingerprints) == reference.map(\.fingerprints))
      #expect(other.map(\.occurrences) == reference.map(\.occurrences))
    }
  }

  @Test("the shop corpus: only the deep OFFSET its odd statements really use", arguments: ["log", "csv", "json"])
  func shopCorpus(_ format: String) throws {
    let path = Paths.shop.appendingPathComponent("postgresql.\(format).gz").path
    let advice = try Self.advice([path])
    #expect(advice.map(\.kind) == ["deep_offset"], "\(advice)")
    let deepest = try shell(
      "gzip -dc '\(Paths.shop.appendingPathComponent("postgresql.log.gz").path)' | grep -o -E 'LIMIT 5 OFFSET [0-9]+' "
        + "| awk '{print $4}' | sort -n | tail -1"
    ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(advice.first?.evidence["max_offset"] == Double(deepest))
  }

  @Test("the thresholds are flags")
  func thresholds() throws {
    let log = Self.log("log")
    #expect(try Self.advice([log, "--n-plus-one", "13"]).allSatisfy { $0.kind != "n_plus_one" })
    #expect(try Self.advice([log, "--n-plus-one-bursts", "24"]).allSatisfy { $0.kind != "n_plus_one" })
    let writes = try Self.advice([log, "--row-by-row", "26"]).filter { $0.kind == "row_by_row_write" }
    #expect(writes.count == 1 && writes.first?.fix.contains("bulk_create") == true)
    #expect(try Self.advice([log, "--churn-short-share", "99"]).allSatisfy { $0.kind != "connection_churn" })
    #expect(try Self.advice([log, "--churn-per-second", "50"]).allSatisfy { $0.kind != "connection_churn" })
    #expect(try Self.advice([log, "--deep-offset", "100000"]).allSatisfy { $0.kind != "deep_offset" })
    #expect(try Self.advice([log, "--wide-min-calls", "1000"]).allSatisfy { $0.kind != "wide_read" })
    let narrow = try Self.advice([log, "--wide-columns", "4", "--wide-min-calls", "20"]).filter {
      $0.kind == "wide_read"
    }
    #expect(narrow.count > 1)
    #expect(try pgsift(["analyze", log, "--n-plus-one", "1"]).status == 1)
  }

  @Test("text and HTML show each finding with its fix")
  func textAndHTML() throws {
    let text = try pgsift(["analyze", Self.log("log")]).stdout
    #expect(text.contains("\nApplication patterns\n"))
    for title in ["N+1 queries", "Row-by-row writes", "Connection churn", "Wide reads", "Deep OFFSET pages"] {
      #expect(text.contains("  \(title): "), "\(title)")
    }
    #expect(text.contains("fix: Load the `customers` with the query before them"))
    let html = try pgsift(["analyze", "--format", "html", Self.log("log")]).stdout
    #expect(html.contains("<section id=\"app\"><h2>Application patterns</h2>"))
    #expect(html.components(separatedBy: "<div class=\"card\"><b>").count - 1 >= 5)
  }
}
