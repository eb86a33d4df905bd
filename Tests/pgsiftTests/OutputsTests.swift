// Outputs that plug in (issue 19): OpenMetrics for Prometheus' textfile collector, checked by promtool and held
// to the JSON report's figures; several -o in one run, each in its extension's format; -o - is standard output.
import Foundation
import Reports
import Testing

@Suite("Outputs")
struct OutputsTests {
  static let shopLog = Paths.shop.appendingPathComponent("postgresql.log.gz").path
  static let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first {
    FileManager.default.isExecutableFile(atPath: $0)
  }

  /// The samples of a metrics text: series (name and labels) to value.
  static func samples(_ text: String) -> [String: Double] {
    var out: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
      guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
        continue
      }
      out[String(line[..<space])] = value
    }
    return out
  }

  @Test("--format openmetrics: the JSON report's figures, one series per top query, valid for promtool")
  func openMetrics() throws {
    let dir = try TemporaryDirectory()
    for log in [Self.shopLog, Paths.fixtures.appendingPathComponent("tenants/postgresql.log.gz").path] {
      let json = try pgsift(["analyze", log, "--format", "json", "-q"]).report()
      let file = dir.path("pgsift.prom")
      let result = try pgsift(["analyze", log, "-q", "-o", file])
      #expect(result.status == 0, "\(result.stderr)")
      let text = try String(contentsOfFile: file, encoding: .utf8)
      #expect(text.hasSuffix("# EOF\n"))
      let samples = Self.samples(text)
      #expect(samples["pgsift_statements"] == Double(json.summary.statements))
      #expect(samples["pgsift_slow_statements"] == Double(json.summary.slowStatements))
      #expect(samples["pgsift_errors"] == Double(json.summary.errors))
      #expect(abs((samples["pgsift_statement_seconds"] ?? 0) - json.summary.totalMs / 1000) < 1e-6)
      // The top 20 queries by total time, each with its calls.
      let calls = samples.filter { $0.key.hasPrefix("pgsift_query_calls{") }
      #expect(calls.count == min(20, json.queries.filter { $0.calls > 0 }.count))
      for query in json.queries.filter({ $0.calls > 0 }).prefix(20) {
        let series = calls.first { $0.key.contains("fingerprint=\"\(query.fingerprint)\"") }
        #expect(series?.value == Double(query.calls), "\(query.fingerprint)")
      }
      let types = samples.filter { $0.key.hasPrefix("pgsift_statement_type_calls{") }.values.reduce(0, +)
      #expect(types == Double(json.summary.statements))
    }
  }

  @Test(
    "promtool check metrics accepts the metrics of every bundled log",
    .enabled(if: promtool != nil, "needs promtool (Debian's prometheus package; scripts/install-deps --server)"))
  func promtoolAccepts() throws {
    let dir = try TemporaryDirectory()
    for log in GoldenReportTests.cases.map({ Paths.root.appendingPathComponent($0.log).path }) {
      let file = dir.path("pgsift.prom")
      #expect([0, 2].contains(try pgsift(["analyze", log, "-q", "-o", file]).status))
      let check = try run("/bin/sh", ["-c", "'\(Self.promtool!)' check metrics < '\(file)'"])
      #expect(check.status == 0, "\(log): promtool: \(check.stdout) \(check.stderr)")
    }
  }

  @Test("several -o in one run, each in the format of its extension; -o - is standard output; a failed one exits 3")
  func severalOutputs() throws {
    let dir = try TemporaryDirectory()
    let result = try pgsift([
      "analyze", Self.shopLog, "-q", "-o", dir.path("r.json"), "-o", dir.path("r.html"), "-o", dir.path("r.prom"),
      "-o", dir.path("r.txt"), "-o", "-",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.hasPrefix("pgsift report\n"))
    #expect(!FileManager.default.fileExists(atPath: dir.path("-")))
    let json = try JSONReport.decode(String(contentsOfFile: dir.path("r.json"), encoding: .utf8))
    #expect(json.summary.statements == 21_875)
    #expect(try String(contentsOfFile: dir.path("r.html"), encoding: .utf8).hasPrefix("<!DOCTYPE html>"))
    #expect(try String(contentsOfFile: dir.path("r.prom"), encoding: .utf8).hasPrefix("# HELP pgsift_statements"))
    #expect(try String(contentsOfFile: dir.path("r.txt"), encoding: .utf8) == result.stdout)
    // One output that cannot be written: the others are, and the run says so with status 3.
    let failed = try pgsift(["analyze", Self.shopLog, "-q", "-o", "/dev/full", "-o", dir.path("after.json")])
    #expect(failed.status == 3)
    #expect(failed.stderr.contains("cannot write /dev/full"), "\(failed.stderr)")
    #expect(FileManager.default.fileExists(atPath: dir.path("after.json")))
  }
}
