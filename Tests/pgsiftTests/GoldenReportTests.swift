// The text, HTML and JSON reports of the bundled logs, kept in Tests/golden/: a change in what pgsift prints
// shows in the diff of a commit, and a change nobody meant fails here. Regenerate after an intended change with
//   PGSIFT_UPDATE_GOLDEN=1 swift test --filter GoldenReportTests
// and read the diff before committing it.
import Foundation
import Testing

@Suite("Golden reports")
struct GoldenReportTests {
  /// A bundled log and the options it is reported with.
  struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    var log: String
    var options: [String] = []
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(name: "shop", log: "fixtures/shop/postgresql.log.gz"),
    Case(name: "shop-csv", log: "fixtures/shop/postgresql.csv.gz"),
    Case(name: "orm", log: "fixtures/orm/postgresql.log.gz"),
    Case(name: "tags", log: "fixtures/tags/postgresql.log.gz"),
    Case(name: "blog", log: "fixtures/blog/postgresql.log.gz"),
    Case(name: "maintenance", log: "fixtures/maintenance/postgresql.log.gz"),
    Case(name: "auto-explain", log: "fixtures/auto_explain/postgresql-text.log.gz"),
    Case(name: "pgbouncer", log: "fixtures/pgbouncer/pgbouncer.log.gz"),
    Case(name: "syslog", log: "fixtures/syslog/postgresql.syslog.gz"),
    Case(name: "heroku", log: "fixtures/heroku/postgresql.drain.gz"),
    Case(name: "cardinality", log: "fixtures/cardinality/postgresql.log.gz", options: ["--max-fingerprints", "100"]),
  ]

  static let golden = Paths.root.appendingPathComponent("Tests/golden")

  @Test("each bundled log's text, HTML and JSON reports are the committed ones", arguments: cases)
  func matches(_ c: Case) throws {
    let update = ProcessInfo.processInfo.environment["PGSIFT_UPDATE_GOLDEN"] == "1"
    if update { try FileManager.default.createDirectory(at: Self.golden, withIntermediateDirectories: true) }
    let log = Paths.root.appendingPathComponent(c.log).path
    for format in ["text", "html", "json"] {
      let result = try pgsift(["analyze", log, "--format", format, "--quiet"] + c.options)
      #expect(result.status == 0 || result.status == 2, "\(c.name) \(format): \(result.stderr)")
      // Paths as a user in the repository would give them.
      let output = result.stdout.replacingOccurrences(of: Paths.root.path + "/", with: "")
      #expect(!output.isEmpty)
      let file = Self.golden.appendingPathComponent("\(c.name).\(format == "text" ? "txt" : format)")
      if update { try output.write(to: file, atomically: true, encoding: .utf8) }
      let committed = try String(contentsOf: file, encoding: .utf8)
      if committed != output {
        let first = zip(
          committed.split(separator: "\n", omittingEmptySubsequences: false),
          output.split(separator: "\n", omittingEmptySubsequences: false)
        ).enumerated().first { $0.element.0 != $0.element.1 }
        Issue.record(
          """
          \(file.lastPathComponent) differs from the report\(first.map { " at line \($0.offset + 1):\n- \($0.element.0)\n+ \($0.element.1)" } ?? " in length");
          if the change is meant, run PGSIFT_UPDATE_GOLDEN=1 swift test --filter GoldenReportTests and commit the diff
          """)
      }
    }
  }
}
