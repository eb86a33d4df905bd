// Query tags: the endpoint breakdown of a real run whose requests carry django-sqlcommenter, Rails QueryLogs and
// OpenTelemetry tags (fixtures/tags, made by its `generate`), held to grep counts of the same log.
import AppPatterns
import Foundation
import Reports
import Testing

@Suite("Query tags")
struct QueryTagsTests {
  static let log = Paths.fixtures.appendingPathComponent("tags/postgresql.log.gz").path

  /// Timed statements of the log whose line holds `also`, then `tag`, by grep (a quote matches any character, so
  /// that the pattern can be quoted for the shell).
  static func grepTimed(_ tag: String, _ also: String = "") throws -> Int {
    let pattern = "LOG:  duration: .*\(also).*\(tag)".replacing("'", with: ".").replacing("\"", with: ".")
    return try grepCount(pattern, in: "zcat '\(log)'")
  }

  @Test("calls by endpoint equal grep's count of each tag; tags do not split a query's fingerprint")
  func endpointsMatchGrep() throws {
    let result = try pgsift(["analyze", Self.log, "--format", "json"])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try result.report()
    let endpoints = try #require(report.endpoints)
    let expected: [String: Int] = [
      "orders#index": try Self.grepTimed("controller='orders',action='index'"),
      "customers#show": try Self.grepTimed("controller:customers,action:show"),
      "/api/products/<id>": try Self.grepTimed("route='/api/products/%3Cid%3E'"),
      // The corpus workload's own marginalia-style comment (`/* app:checkout, user:48 */`).
      "checkout": try Self.grepTimed("app:checkout,"),
    ]
    #expect(expected.values.allSatisfy { $0 > 20 }, "the fixture's requests: \(expected)")
    #expect(Dictionary(uniqueKeysWithValues: endpoints.map { ($0.endpoint, $0.calls) }) == expected)

    // The orders query both applications send: one fingerprint, its calls split by endpoint as grep splits them.
    let shape = #"SELECT "orders"."id", "orders"."status", "orders"."total" FROM "orders""#
    let orders = report.queries.filter { $0.normalized.hasPrefix(shape) }
    #expect(orders.count == 1, "one fingerprint for the query whatever its tags")
    let shared = try #require(orders.first)
    #expect(shared.calls == (try Self.grepTimed("", #"statement: SELECT "orders"."id", "orders"."status""#)))
    let split = Dictionary(uniqueKeysWithValues: (shared.endpoints ?? []).map { ($0.endpoint, $0.calls) })
    #expect(
      split == [
        "orders#index": try Self.grepTimed("controller='orders'", #"FROM "orders" WHERE"#),
        "customers#show": try Self.grepTimed("controller:customers", #"FROM "orders" WHERE"#),
      ])
    // Shown without the first caller's tags.
    #expect(!shared.normalized.contains("/*"))
    // Each endpoint's time is the sum of its queries' shares.
    for endpoint in endpoints {
      let sum = report.queries.compactMap { $0.endpoints?.first { $0.endpoint == endpoint.endpoint }?.totalMs }
        .reduce(0, +)
      #expect(abs(sum - endpoint.totalMs) < 0.01, "\(endpoint.endpoint)")
    }
  }

  @Test("database time per request from traceparent equals a sum by hand; --request-budget counts the slow ones")
  func requests() throws {
    /// Per trace id of the endpoint's statements (grep, sed, awk): the requests' database times, in ms, sorted.
    func byHand(_ tag: String) throws -> (times: [Double], statements: Int) {
      let lines = try shell(
        "zcat '\(Self.log)' | grep '\(tag)' | sed -nE 's/.*duration: ([0-9.]+) ms .*traceparent=.00-([0-9a-f]+)-.*/\\2 \\1/p'"
          + " | awk '{s[$1]+=$2; n[$1]++} END {for (k in s) print s[k], n[k]}'"
      ).stdout.split(separator: "\n").map { $0.split(separator: " ") }
      return (lines.map { Double($0[0])! }.sorted(), lines.reduce(0) { $0 + Int($1[1])! })
    }
    for (endpoint, tag, budget) in [
      ("orders#index", "controller=.orders.", 300.0), ("/api/products/<id>", "route=./api", 1.0),
    ] {
      let report = try pgsift(["analyze", Self.log, "--format", "json", "--request-budget", "\(Int(budget))ms"])
        .report()
      let requests = try #require(report.endpoints?.first { $0.endpoint == endpoint }?.requests, "\(endpoint)")
      let hand = try byHand(tag)
      #expect(hand.times.count > 20)
      #expect(requests.requests == hand.times.count)
      #expect(requests.statements == hand.statements)
      #expect(abs(requests.totalMs - hand.times.reduce(0, +)) < 0.01)
      #expect(abs(requests.maxMs - hand.times.last!) < 0.001)
      #expect(requests.overBudget == hand.times.filter { $0 >= budget }.count)
      #expect(requests.budgetMs == budget)
      // The 95th percentile is a histogram bucket's upper bound: at or above the exact one, within a bucket.
      let exact = hand.times[Int((0.95 * Double(hand.times.count)).rounded(.up)) - 1]
      #expect(requests.p95Ms >= exact * 0.999 && requests.p95Ms <= exact * 1.2, "\(requests.p95Ms) vs \(exact)")
    }
    // Statements without a traceparent (the Rails action) make no requests.
    let report = try pgsift(["analyze", Self.log, "--format", "json"]).report()
    // Cut into pieces of 16 KiB, parsed by two threads, requests that span pieces are joined, not split.
    let cut = try pgsift(["analyze", Self.log, "--format", "json", "--chunk-size", "16384", "--jobs", "2"]).report()
    #expect(cut.endpoints == report.endpoints)
    // Saved as two parts and merged, the same.
    let dir = try TemporaryDirectory()
    try shell(
      "zcat '\(Self.log)' > '\(dir.path("all.log"))' && cd '\(dir.url.path)' && split -n l/2 all.log part.")
    for part in ["part.aa", "part.ab"] {
      #expect(
        try pgsift([
          "analyze", dir.path(part), "--prefix", "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ", "-q",
          "--save-state", dir.path(part + ".state"),
        ]).status == 0)
    }
    let merged = try pgsift(
      ["merge", dir.path("part.aa.state"), dir.path("part.ab.state"), "--format", "json"]
    ).report()
    #expect(merged.endpoints?.map(\.requests) == report.endpoints?.map(\.requests))
    #expect(report.endpoints?.first { $0.endpoint == "customers#show" }?.requests == nil)
    #expect(try pgsift(["analyze", Self.log]).stdout.contains("p95 ms/req"))
    #expect(report.requestsWithoutEndpoint == nil)
  }

  @Test("with --state, a request that spans two runs is counted once, whole, by the second")
  func requestsAcrossRuns() throws {
    let whole = try pgsift(["analyze", Self.log, "--format", "json"]).report()
    let dir = try TemporaryDirectory()
    let live = dir.path("live.log")
    let state = dir.path("state.json")
    let lines = try grepCount("", in: "zcat '\(Self.log)'")
    // Cut in the middle of a request: the half-way line, moved on to the next statement of the orders view.
    let cut = try #require(
      Int(
        try shell(
          "zcat '\(Self.log)' | awk 'NR > \(lines / 2) && /controller=.orders/ { print NR; exit }'"
        ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    try shell("zcat '\(Self.log)' | head -n \(cut) > '\(live)'")
    let first = try pgsift(["analyze", live, "--state", state, "--format", "json", "-q"])
    #expect(first.status == 0, "\(first.stderr)")
    let saved = try String(contentsOfFile: state, encoding: .utf8)
    #expect(saved.contains("open_requests"))
    try shell("zcat '\(Self.log)' | tail -n +\(cut + 1) >> '\(live)'")
    let second = try pgsift(["analyze", live, "--state", state, "--format", "json", "-q"])
    #expect(second.status == 0, "\(second.stderr)")
    let runs = [try first.report(), try second.report()]
    for endpoint in whole.endpoints ?? [] {
      guard let all = endpoint.requests else { continue }
      let parts = runs.compactMap { $0.endpoints?.first { $0.endpoint == endpoint.endpoint }?.requests }
      #expect(parts.reduce(0) { $0 + $1.requests } == all.requests, "\(endpoint.endpoint)")
      #expect(parts.reduce(0) { $0 + $1.statements } == all.statements, "\(endpoint.endpoint)")
      #expect(abs(parts.reduce(0) { $0 + $1.totalMs } - all.totalMs) < 0.01, "\(endpoint.endpoint)")
      #expect(parts.reduce(0) { $0 + $1.overBudget } == all.overBudget, "\(endpoint.endpoint)")
      #expect(parts.map(\.maxStatements).max() == all.maxStatements, "\(endpoint.endpoint)")
    }
  }

  @Test("requests whose statements carry only a traceparent are reported apart, equal to a sum by hand")
  func requestsWithoutEndpoint() throws {
    let dir = try TemporaryDirectory()
    // The API's statements with their route and driver tags taken off: a traceparent alone names no endpoint.
    let log = dir.path("traced.log")
    try shell("zcat '\(Self.log)' | sed -E \"s#db_driver='psycopg2',route='[^']*',##\" > '\(log)'")
    let report = try pgsift(["analyze", log, "--format", "json"]).report()
    let requests = try #require(report.requestsWithoutEndpoint)
    let hand = try shell(
      "grep -v controller= '\(log)' | sed -nE 's/.*duration: ([0-9.]+) ms .*traceparent=.00-([0-9a-f]+)-.*/\\2 \\1/p'"
        + " | awk '{s[$1]+=$2; n[$1]++} END {for (k in s) print s[k], n[k]}'"
    ).stdout.split(separator: "\n").map { $0.split(separator: " ") }
    #expect(hand.count > 20)
    #expect(requests.requests == hand.count)
    #expect(requests.statements == hand.reduce(0) { $0 + Int($1[1])! })
    #expect(abs(requests.totalMs - hand.reduce(0) { $0 + Double($1[0])! }) < 0.01)
    #expect(report.endpoints?.contains { $0.endpoint.hasPrefix("/api") } != true)
    let text = try pgsift(["analyze", log]).stdout
    #expect(
      text.contains("Requests whose tags name no endpoint (traceparent only): \(FilterTests.grouped(hand.count)), "))
  }

  @Test("the csvlog and jsonlog of the same run give the same endpoints as its stderr log")
  func formatsAgree() throws {
    func endpoints(_ file: String) throws -> [String: [Double]] {
      let path = Paths.fixtures.appendingPathComponent("tags/\(file)").path
      let report = try pgsift(["analyze", path, "--format", "json"]).report()
      return Dictionary(
        uniqueKeysWithValues: (report.endpoints ?? []).map { ($0.endpoint, [Double($0.calls), $0.totalMs]) })
    }
    let stderr = try endpoints("postgresql.log.gz")
    #expect(stderr.count == 4)
    #expect(try endpoints("postgresql.csv.gz") == stderr)
    #expect(try endpoints("postgresql.json.gz") == stderr)
  }

  @Test("the N+1 finding names the view that loops; the text report lists time by endpoint")
  func adviceNamesTheView() throws {
    let report = try pgsift(["analyze", Self.log, "--format", "json"]).report()
    let loop = try #require(report.appAdvice?.first { $0.kind == "n_plus_one" })
    #expect(loop.endpoints == ["orders#index"])
    #expect(loop.finding.hasSuffix("sent by orders#index"))
    let text = try pgsift(["analyze", Self.log]).stdout
    #expect(text.contains("Time by endpoint (query tags)"))
    #expect(text.contains("from: customers#show"))
    let html = try pgsift(["analyze", Self.log, "--format", "html"]).stdout
    #expect(html.contains("<section id=\"endpoints\">"))
  }

  @Test("--redact keeps the tag keys and endpoint names and drops trace ids")
  func redactKeepsNames() throws {
    let plain = try pgsift(["analyze", Self.log, "--format", "json"]).stdout
    let redacted = try pgsift(["analyze", Self.log, "--format", "json", "--redact"])
    #expect(redacted.status == 0)
    // A trace id of the log: 22 zeros, then the request's ten digits (the workload's `:t`).
    let traceID = #/0{22}[0-9]{10}/#
    #expect(plain.contains(traceID))
    #expect(!redacted.stdout.contains(traceID))
    let report = try redacted.report()
    #expect(
      Set(report.endpoints?.map(\.endpoint) ?? []) == [
        "orders#index", "customers#show", "/api/products/<id>", "checkout",
      ])
  }

  @Test("tag formats: sqlcommenter (URL-encoded), QueryLogs and marginalia, anywhere in the statement; not hints")
  func formats() {
    func tags(_ sql: String) -> QueryTags? {
      var bytes = Array(sql.utf8)
      return bytes.withUnsafeMutableBufferPointer { QueryTags.of(UnsafeBufferPointer($0)) }
    }
    let django = tags(
      "SELECT 1 /*action='index',controller='orders',framework='django%3A4.2.7',route='%5Eorders/%24'*/")
    #expect(django?.endpoint == "orders#index")
    #expect(django?.value("route") == "^orders/$")
    #expect(django?.value("framework") == "django:4.2.7")
    #expect(tags("/*application:Shop,controller:customers,action:show*/ SELECT 1")?.endpoint == "customers#show")
    #expect(tags("SELECT 1 /*application:Shop,job:InvoiceMailerJob*/")?.endpoint == "InvoiceMailerJob")
    let traced = tags("UPDATE t SET a = 1 /*traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'*/")
    #expect(traced?.endpoint == nil)
    #expect(traced?.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
    #expect(tags("SELECT /*+ IndexScan(t) */ * FROM t") == nil)
    #expect(tags("SELECT 1 /* a comment, in prose */") == nil)
    #expect(tags("SELECT 1") == nil)
    // The hot path's byte reader names the same endpoint as the tags do.
    var cache: [UInt64: String] = [:]
    for sql in [
      "SELECT 1 /*action='index',controller='orders',framework='django%3A4.2.7',route='%5Eorders/%24'*/",
      "/*application:Shop,controller:customers,action:show*/ SELECT 1", "SELECT 1 /*application:Shop,job:Mailer*/",
      "SELECT 1 /*route='/api/x%3Cid%3E',traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'*/",
      "SELECT /*+ IndexScan(t) */ 1 /*app:checkout, user:48 */", "SELECT 1 /* prose, here */", "SELECT 1",
      "SELECT 1 /*controller='a'*/ /*controller='b',action='c'*/", "SELECT '/*' /* unterminated",
    ] {
      var bytes = Array(sql.utf8)
      let fast = bytes.withUnsafeMutableBufferPointer {
        QueryTags.read(UnsafeBufferPointer($0), cache: &cache).endpoint
      }
      #expect(fast == tags(sql)?.endpoint, "\(sql)")
    }
    #expect(
      QueryTags.strippingTags(from: "SELECT 1 /*controller='a',action='b'*/;") == "SELECT 1;")
    #expect(
      QueryTags.redactingIDs(in: "SELECT 1 /*controller='a',id='12345'*/") == "SELECT 1 /*controller='a',id='?'*/")
  }
}
