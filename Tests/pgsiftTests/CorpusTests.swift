// End-to-end: the built pgsift on real logs (fixtures/, copied from ../shared/corpus and made with its
// generator), checked against figures counted independently.
import Foundation
import LogReading
import Reports
import Testing

@Suite("Real logs through the CLI")
struct CorpusTests {
  static let shopFormats = ["log", "csv", "json"]

  @Test("shop log: exact figures in every format", arguments: shopFormats)
  func shopFigures(format: String) throws {
    let result = try pgsift([
      "analyze", Paths.shop.appendingPathComponent("postgresql.\(format).gz").path, "--format", "json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try result.report()
    #expect(report.summary.statements == 21_875)
    #expect(report.summary.slowStatements == 3_015)
    #expect(abs(report.summary.totalMs - 269_022.7) <= 0.1)
    #expect(report.summary.fingerprints == 58)
    #expect(report.summary.errors == 26)
    #expect(report.input.skippedLines == 0)
    #expect(report.input.files.first?.compressed == true)
    #expect(report.schemaVersion == AnalysisReport.currentSchemaVersion)
    #expect(report.thresholdMs == 30)
    // Parse and bind steps are folded into their executions, not counted.
    #expect(report.summary.prepareSteps == 12_745)
    #expect(report.queries.reduce(0) { $0 + $1.calls } == 21_875)
  }

  @Test("the three formats give the same fingerprints, calls and totals", arguments: LogSet.all)
  func formatsAgree(set: LogSet) throws {
    var maps: [[String: [Double]]] = []
    for format in Self.shopFormats {
      let result = try pgsift(["analyze", set.file(format), "--format", "json"])
      #expect(result.status == 0, "\(set.name) \(format): \(result.stderr)")
      let report = try result.report()
      #expect(report.input.skippedLines == 0)
      maps.append(callsAndTotals(report))
    }
    #expect(maps[0] == maps[1])
    #expect(maps[0] == maps[2])
  }

  @Test("plain and gzip input give the same report", arguments: shopFormats)
  func plainMatchesGzip(format: String) throws {
    let scratch = try TemporaryDirectory()
    let gz = Paths.shop.appendingPathComponent("postgresql.\(format).gz").path
    let plain = scratch.path("postgresql.\(format)")
    try shell("gzip -dc '\(gz)' > '\(plain)'")
    let a = try pgsift(["analyze", gz, "--format", "json"])
    let b = try pgsift(["analyze", plain, "--format", "json"])
    #expect(b.status == 0)
    #expect(callsAndTotals(try a.report()) == callsAndTotals(try b.report()))
    #expect(try b.report().input.files.first?.compressed == false)
    #expect(try b.report().input.lines == (try a.report().input.lines))
  }

  @Test("multi-member gzip (concatenated .gz files) is read whole")
  func multiMemberGzip() throws {
    let scratch = try TemporaryDirectory()
    let gz = Paths.shop.appendingPathComponent("postgresql.log.gz").path
    try shell(
      "cd '\(scratch.url.path)' && gzip -dc '\(gz)' > all.log && split -n l/3 all.log part. "
        + "&& for p in part.*; do gzip -c $p >> multi.log.gz; done")
    let result = try pgsift(["analyze", scratch.path("multi.log.gz"), "--format", "json"])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try result.report()
    #expect(report.summary.statements == 21_875)
    #expect(report.input.lines == 57_021)
    #expect(callsAndTotals(report) == callsAndTotals(try pgsift(["analyze", gz, "--format", "json"]).report()))
  }

  @Test("standard input, plain and gzip")
  func standardInput() throws {
    let gz = Paths.shop.appendingPathComponent("postgresql.json.gz").path
    let scratch = try TemporaryDirectory()
    try shell("gzip -dc '\(gz)' > '\(scratch.path("plain.json"))'")
    for input in [gz, scratch.path("plain.json")] {
      let result = try pgsift(["analyze", "-", "--format", "json"], stdinFile: input)
      #expect(result.status == 0, "\(result.stderr)")
      let report = try result.report()
      #expect(report.input.files.first?.path == "<stdin>")
      #expect(report.summary.statements == 21_875)
    }
  }

  @Test("several files add up")
  func severalFiles() throws {
    let log = Paths.shop.appendingPathComponent("postgresql.log.gz").path
    let csv = Paths.shop.appendingPathComponent("postgresql.csv.gz").path
    let report = try pgsift(["analyze", log, csv, "--format", "json"]).report()
    #expect(report.input.files.count == 2)
    #expect(report.input.format == "mixed")
    #expect(report.summary.statements == 2 * 21_875)
  }

  @Test("extended protocol: bind parameters kept with the example, parse/bind time folded")
  func extendedProtocol() throws {
    let report = try pgsift([
      "analyze", Paths.shop.appendingPathComponent("postgresql.log.gz").path, "--format", "json",
    ]).report()
    // SELECT count(*) FROM events WHERE customer_id = $1 AND kind = 'buy', run through pgbench -M prepared.
    let events = try #require(report.queries.first { $0.fingerprint == "d083f7177d17578d" })
    #expect(events.calls == 1_467)
    let parameters = try #require(events.exampleParameters)
    #expect(parameters.hasPrefix("$1 = '"))
    #expect(events.prepareMs > 0)
    #expect(events.example?.contains("FROM events WHERE customer_id") == true)
    #expect(events.exampleMs == events.maxMs)
  }

  @Test("errors are grouped and attached to their STATEMENT")
  func errors() throws {
    let report = try pgsift([
      "analyze", Paths.shop.appendingPathComponent("postgresql.log.gz").path, "--format", "json",
    ]).report()
    let missing = try #require(report.errors.first { $0.message.hasPrefix("relation \"no_such_table\"") })
    #expect(missing.count == 8)
    // The cursor position the stderr log appends (` at character 15`) is not part of the message, as in csvlog.
    #expect(missing.message == "relation \"no_such_table\" does not exist")
    #expect(missing.exampleStatement?.hasPrefix("SELECT * FROM no_such_table WHERE x = ") == true)
    #expect(missing.fingerprint == "0cd4c059e2f68c49")
    // A statement libpg_query cannot parse still gets one stable fingerprint for all its variants.
    let syntax = try #require(report.errors.first { $0.message.hasPrefix("syntax error at or near \"SELEC\"") })
    #expect(syntax.count == 8)
    let duplicate = try #require(report.errors.first { $0.message.hasPrefix("duplicate key") })
    #expect(duplicate.exampleDetail == "Key (id)=(1) already exists.")
    let deadlock = try #require(report.errors.first { $0.message == "deadlock detected" })
    #expect(deadlock.exampleHint == "See server log for query details.")
    #expect(report.errors.reduce(0) { $0 + $1.count } == 26)
  }

  @Test("--threshold moves the slow line")
  func threshold() throws {
    let path = Paths.shop.appendingPathComponent("postgresql.log.gz").path
    let report = try pgsift(["analyze", path, "--format", "json", "--threshold", "100ms"]).report()
    #expect(report.thresholdMs == 100)
    #expect(report.summary.slowStatements == 578)
    let seconds = try pgsift(["analyze", path, "--format", "json", "--threshold", "0.1s"]).report()
    #expect(seconds.summary.slowStatements == 578)
  }

  @Test("per-query figures are consistent")
  func queryFigures() throws {
    let report = try pgsift([
      "analyze", Paths.shop.appendingPathComponent("postgresql.csv.gz").path, "--format", "json",
    ]).report()
    #expect(report.queries == report.queries.sorted { $0.totalMs > $1.totalMs })
    for q in report.queries where q.calls > 0 {
      let (minMs, maxMs, p50, p95, p99) = (q.minMs!, q.maxMs!, q.p50Ms!, q.p95Ms!, q.p99Ms!)
      #expect(minMs <= p50 && p50 <= p95 && p95 <= p99, "\(q.fingerprint)")
      // Percentiles come from a histogram with three significant digits.
      #expect(p99 <= maxMs * 1.001 + 0.001, "\(q.fingerprint)")
      #expect(abs(q.meanMs! * Double(q.calls) - q.totalMs) < 0.001 * Double(q.calls) + 0.001)
      #expect(q.databases.reduce(0) { $0 + $1.calls } == q.calls + q.untimedCalls)
      #expect(q.firstSeen != nil && q.lastSeen != nil)
      #expect(q.slowCalls <= q.calls)
    }
    let orders = try #require(report.queries.first { $0.fingerprint == "c93ce44f4179576b" })
    #expect(orders.calls == 708)
    #expect(orders.normalized.contains("LIMIT $2"))
    #expect(orders.users == [NameCount(name: "postgres", calls: 708)])
  }

  @Test("text report: summary and the three top lists")
  func textReport() throws {
    let result = try pgsift(["analyze", Paths.shop.appendingPathComponent("postgresql.log.gz").path, "--top", "3"])
    #expect(result.status == 0)
    let text = result.stdout
    #expect(text.contains("21,875 timed"))
    #expect(text.contains("slow (>= 30.000 ms): 3,015"))
    #expect(text.contains("Top queries by total time"))
    #expect(text.contains("Top queries by calls"))
    #expect(text.contains("Slowest single runs"))
    // --top 3: three ranked rows per table.
    let ranked = text.split(separator: "\n").filter { $0.hasPrefix("   3 ") }
    #expect(ranked.count == 3)
    #expect(!text.split(separator: "\n").contains { $0.hasPrefix("   4 ") })
  }

  @Test("-o writes the report to a file; .json picks JSON")
  func outputFile() throws {
    let scratch = try TemporaryDirectory()
    let out = scratch.path("report.json")
    let result = try pgsift(["analyze", Paths.shop.appendingPathComponent("postgresql.log.gz").path, "-o", out])
    #expect(result.status == 0)
    #expect(result.stdout.isEmpty)
    let report = try JSONReport.decode(String(contentsOfFile: out, encoding: .utf8))
    #expect(report.summary.statements == 21_875)
    // Not a regular file: written in place, never replaced by a rename.
    let special = try pgsift([
      "analyze", Paths.shop.appendingPathComponent("postgresql.log.gz").path, "-o", "/dev/null",
    ])
    #expect(special.status == 0)
    #expect(special.stdout.isEmpty)
    let attributes = try FileManager.default.attributesOfItem(atPath: "/dev/null")
    #expect(attributes[.type] as? FileAttributeType == .typeCharacterSpecial)
  }

  @Test("JSON carries every documented name, unknown values as null")
  func jsonNames() throws {
    let result = try pgsift([
      "analyze", Paths.shop.appendingPathComponent("postgresql.log.gz").path, "--format", "json",
    ])
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    for key in ["schema_version", "threshold_ms", "input", "summary", "queries", "errors"] {
      #expect(object[key] != nil, "\(key)")
    }
    let input = try #require(object["input"] as? [String: Any])
    for key in ["files", "lines", "entries", "skipped_lines", "format"] { #expect(input[key] != nil, "input.\(key)") }
    let summary = try #require(object["summary"] as? [String: Any])
    for key in ["statements", "slow_statements", "total_ms", "fingerprints", "first", "last"] {
      #expect(summary[key] != nil, "summary.\(key)")
    }
    let queries = try #require(object["queries"] as? [[String: Any]])
    let names = [
      "fingerprint", "normalized", "example", "calls", "slow_calls", "total_ms", "min_ms", "max_ms", "mean_ms",
      "p50_ms", "p95_ms", "p99_ms", "databases", "users", "applications", "first_seen", "last_seen",
      "example_parameters",
    ]
    for query in queries {
      for key in names { #expect(query.keys.contains(key), "queries[].\(key)") }
    }
  }
}
