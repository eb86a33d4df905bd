// Logs as managed services hand them out.
//
// - fixtures/heroku: a real PostgreSQL 15 server with Heroku Postgres's log_line_prefix, its syslog lines written
//   by a real rsyslog in the two layouts of Heroku's logplex (`fixtures/syslog/generate heroku`). The counts are
//   grep's over the file.
// - fixtures/cloud-exports: real logs of fixtures/cloudsql-prefix and fixtures/azure-prefix in the JSON envelopes
//   Google Cloud Logging and Azure Monitor export (`fixtures/cloud-exports/generate`). Each export must give the
//   report its source log gives.
import Foundation
import Reports
import Testing

@Suite("Managed services' logs")
struct ManagedServiceTests {
  static let heroku = Paths.fixtures.appendingPathComponent("heroku")
  static let exports = Paths.fixtures.appendingPathComponent("cloud-exports")
  static let herokuPrefix =
    #" sql_error_code = %e time_ms = "%m" pid="%p" proc_start_time="%s" session_id="%c" vtid="%v" tid="%x" "#
    + #"log_line="%l" database="%d" connection_source="%r" user="%u" application_name="%a" "#

  static func export(_ name: String) -> String { exports.appendingPathComponent(name).path }

  /// The figures every layout of one log must agree on.
  struct Figures: Equatable {
    var statements, errors, lockWaits, tempFiles, checkpoints, connections, disconnections, skipped: Int
    var queries: [String: [Double]]
    var errorGroups: [String]

    init(_ report: AnalysisReport) {
      let s = report.summary
      statements = s.statements
      errors = s.errors
      lockWaits = s.lockWaits
      tempFiles = s.tempFiles
      checkpoints = s.checkpoints
      connections = s.connections
      disconnections = s.disconnections
      skipped = report.input.skippedLines
      queries = callsAndTotals(report)
      errorGroups = report.errors.map { "\($0.count) \($0.message) | \($0.exampleStatement ?? "")" }.sorted()
    }
  }

  @Test("Heroku logplex, as `heroku logs` prints it and as a drain receives it: detected, counts equal grep's")
  func logplex() throws {
    let expectedPrefix = try String(
      contentsOf: Self.heroku.appendingPathComponent("log_line_prefix.txt"), encoding: .utf8
    ).trimmingCharacters(in: .newlines)
    #expect(expectedPrefix == Self.herokuPrefix)
    var figures: [Figures] = []
    for name in ["postgresql.logplex.gz", "postgresql.drain.gz"] {
      let path = Self.heroku.appendingPathComponent(name).path
      let result = try pgsift(["analyze", path, "--format", "json"])
      #expect(result.status == 0, "\(result.stderr)")
      let report = try result.report()
      #expect(report.input.format == "logplex")
      #expect(report.input.files.first?.logLinePrefix == Self.herokuPrefix)
      let s = report.summary
      #expect(s.statements == (try grepCount("duration: [0-9.]+ ms  (statement|execute)", in: "gzip -dc '\(path)'")))
      #expect(s.statements == 6_349)
      #expect(s.errors == (try grepCount("\\[[0-9]+-1\\] .* ERROR:  ", in: "gzip -dc '\(path)'")))
      #expect(s.lockWaits == 1 && s.tempFiles == 7 && s.checkpoints == 2)
      #expect(s.connections == 15 && s.disconnections == 15)
      #expect(report.input.skippedLines == 0)
      // A statement longer than one syslog piece, joined back; a multi-line one, its #011 read as tabs.
      let examples = report.queries.compactMap(\.example)
      let long = try #require(examples.first { $0.contains("AS c119") })
      #expect(long.hasPrefix("SELECT aid + 0 AS c0,") && long.hasSuffix("FROM pgbench_accounts WHERE aid = 1;"))
      #expect(examples.contains { $0.hasPrefix("SELECT aid, abalance\n  FROM pgbench_accounts\n WHERE bid = 1") })
      // Heroku's prefix carries the SQLSTATE, the database and the user.
      #expect(Set(report.errors.compactMap(\.sqlState)) == ["42P01", "42601"])
      #expect(report.errors.contains { $0.exampleStatement == "SELECT * FROM no_such_table;" })
      #expect(report.queries.contains { $0.databases.contains { $0.name == "shop" } })
      figures.append(Figures(report))
    }
    // One server's lines, written twice by rsyslog: the two layouts give the same report.
    #expect(figures[0] == figures[1])
  }

  @Test("Heroku's other sources in the same stream are passed over, counted and named once; --log-format logplex")
  func logplexOtherSources() throws {
    let dir = try TemporaryDirectory()
    let log = Self.heroku.appendingPathComponent("postgresql.logplex.gz").path
    // `heroku logs` without `-p postgres`: the app's and the router's lines, and Heroku Postgres's metrics.
    try shell(
      """
      cd '\(dir.url.path)' && gzip -dc '\(log)' | head -n 2000 > mixed.log && \
      sed -i '1000a 2026-11-25T15:31:40.100000+00:00 app[web.1]: Completed 200 OK in 12ms' mixed.log && \
      sed -i '1500a 2026-11-25T15:31:40.200000+00:00 heroku[router]: at=info method=GET path="/orders" status=200' mixed.log && \
      sed -i '1700a 2026-11-25T15:31:41+00:00 app[heroku-postgres]: source=DATABASE sample#active-connections=11' mixed.log && \
      gzip -dc '\(log)' | head -n 2000 > plain.log
      """)
    let plain = try pgsift(["analyze", dir.path("plain.log"), "--format", "json"]).report()
    let mixed = try pgsift(["analyze", dir.path("mixed.log"), "--format", "json", "--log-format", "logplex"])
    // Other programs' lines are no problem with the log: status 0, nothing skipped, each program named once.
    #expect(mixed.status == 0, "\(mixed.stderr)")
    let report = try mixed.report()
    #expect(report.input.skippedLines == 0)
    #expect(report.summary.statements == plain.summary.statements && plain.summary.statements > 500)
    let file = try #require(report.input.files.first)
    #expect(file.otherProgramLines == 3)
    #expect(Set(file.otherPrograms.map(\.name)) == ["web.1", "router", "heroku-postgres"])
    #expect(
      mixed.stderr.contains("mixed.log: 3 lines of other programs passed over (heroku-postgres 1, router 1, web.1 1)"))
    #expect(mixed.stderr.split(separator: "\n").count == 1, "\(mixed.stderr)")
  }

  @Test("A stderr log whose statements hold the exports' member names is still read as stderr")
  func notAnExport() throws {
    let dir = try TemporaryDirectory()
    let log = Paths.fixtures.appendingPathComponent("cloudsql-prefix/postgresql.log.gz").path
    // An application that keeps JSON of both kinds in a table: its INSERTs, one a line and pretty-printed.
    try shell("cd '\(dir.url.path)' && gzip -dc '\(log)' | head -n 30 > mixed.log")
    var lines = ""
    for n in 1...8 {
      let prefix =
        "2026-11-25 12:34:0\(n).000 UTC [900\(n)]: [1-1] db=shop,user=app LOG:  duration: 0.5 ms  statement: "
      lines +=
        prefix + #"INSERT INTO audit (doc) VALUES ('{"textPayload": "x", "category": "PostgreSQLLogs"}');"# + "\n"
      lines += prefix + "INSERT INTO audit (doc) VALUES ('{\n\t" + #""errorLevel": "LOG","# + "\n"
      lines += "\t" + #""textPayload": "y"}');"# + "\n"
    }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.path("mixed.log")))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(lines.utf8))
    try handle.close()
    let result = try pgsift(["analyze", dir.path("mixed.log"), "--format", "json"])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try result.report()
    #expect(report.input.format == "stderr")
    #expect(report.input.skippedLines == 0)
    // Both INSERTs have one shape: 16 calls.
    #expect(report.queries.first { $0.example?.hasPrefix("INSERT INTO audit") == true }?.calls == 16)
  }

  @Test("Google Cloud Logging exports of Cloud SQL: a sink's lines and gcloud's array give the stderr log's report")
  func cloudSQL() throws {
    let source = try pgsift([
      "analyze", Paths.fixtures.appendingPathComponent("cloudsql-prefix/postgresql.log.gz").path, "--format", "json",
    ]).report()
    #expect(source.summary.statements > 1000 && source.summary.errors == 26)
    for name in ["cloudsql.ndjson.gz", "cloudsql-gcloud.json.gz"] {
      let result = try pgsift(["analyze", Self.export(name), "--format", "json"])
      #expect(result.status == 0, "\(name): \(result.stderr)")
      let report = try result.report()
      #expect(report.input.format == "cloudsql")
      #expect(report.input.files.first?.logLinePrefix == "%m [%p]: [%l-1] db=%d,user=%u ")
      #expect(Figures(report) == Figures(source), "\(name)")
      // Multi-line statements come in one entry, their lines joined back.
      #expect(report.queries.compactMap(\.example) == source.queries.compactMap(\.example))
    }
  }

  @Test("Cloud Logging: entries of other logs skipped and counted, a newest-first export named")
  func cloudSQLDamaged() throws {
    let dir = try TemporaryDirectory()
    let sink = Self.export("cloudsql.ndjson.gz")
    try shell(
      """
      cd '\(dir.url.path)' && gzip -dc '\(sink)' > sink.json && \
      sed -i '20a {"logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","textPayload":"audit","timestamp":"2026-11-25T12:34:00Z"}' sink.json && \
      sed -i '40a {"logName":"projects/p/logs/cloudsql.googleapis.com%2Fpostgres.log","textPayload":"2026-11-25 12:34:00.000 UTC [1]: [1-1] db=shop,user=app LOG:  duration: 1.0 ms  statement: SELECT 1' sink.json && \
      gzip -dc '\(sink)' | tac > newest-first.json && \
      gzip -dc '\(sink)' | sed '1s/.\\{40\\}$//' > cut-first.json
      """)
    let damaged = try pgsift(["analyze", dir.path("sink.json"), "--format", "json"])
    #expect(damaged.status == 2)
    let report = try damaged.report()
    #expect(report.input.skippedLines == 2)
    #expect(damaged.stderr.contains("sink.json:21: an entry of projects/p/logs/cloudaudit.googleapis.com%2Factivity"))
    #expect(damaged.stderr.contains("sink.json:41: a JSON record not closed at the end of its line; dropped"))
    let whole = try pgsift(["analyze", sink, "--format", "json"]).report()
    #expect(report.summary.statements == whole.summary.statements)
    // The first entry cut short: dropped at its line, as one inside the file would be, the rest read.
    let cut = try pgsift(["analyze", dir.path("cut-first.json"), "--format", "json"])
    #expect(cut.stderr.contains("cut-first.json:1: a JSON record not closed at the end of its line; dropped"))
    #expect(try cut.report().input.skippedLines == 1)
    #expect(try cut.report().summary.statements == whole.summary.statements)
    let reversed = try pgsift(["analyze", dir.path("newest-first.json"), "--format", "json"])
    #expect(reversed.stderr.contains("records come newest first"))
    #expect(try reversed.report().summary.statements == whole.summary.statements)
  }

  @Test("A gcloud array read in two runs with --state, cut inside an entry: every statement counted once")
  func cloudSQLResumed() throws {
    let dir = try TemporaryDirectory()
    let export = Self.export("cloudsql-gcloud.json.gz")
    let whole = try pgsift(["analyze", export, "--format", "json"]).report()
    // Line 20,001 of the array falls inside an entry.
    try shell(
      """
      cd '\(dir.url.path)' && gzip -dc '\(export)' > all.json && head -n 20000 all.json > live.json && \
      tail -n +20001 all.json > rest && sed -n 20000p all.json | grep -vq '^  }'
      """)
    let state = ["--state", dir.path("state.json"), "--format", "json"]
    let first = try pgsift(["analyze", dir.path("live.json")] + state)
    #expect(first.status == 0, "\(first.stderr)")
    try shell("cd '\(dir.url.path)' && cat rest >> live.json")
    let second = try pgsift(["analyze", dir.path("live.json")] + state)
    #expect(second.status == 0, "\(second.stderr)")
    let counts = [try first.report(), try second.report()].map(\.summary.statements)
    #expect(counts[0] > 0 && counts[1] > 0)
    #expect(counts[0] + counts[1] == whole.summary.statements)
  }

  @Test("Azure Monitor exports, Flexible and Single Server and an event hub's batches: the stderr log's report")
  func azure() throws {
    let source = try pgsift([
      "analyze", Paths.fixtures.appendingPathComponent("azure-prefix/postgresql.log.gz").path, "--format", "json",
    ]).report()
    #expect(source.summary.errors == 26 && source.summary.lockWaits == 4)
    // The exports carry the SQLSTATE the stderr prefix '%t-%c-' leaves out; jsonlog of the same run has it.
    let jsonlog = Paths.fixtures.appendingPathComponent("azure-prefix/postgresql.json.gz").path
    let uniqueViolations = try grepCount("\"state_code\":\"23505\"", in: "gzip -dc '\(jsonlog)'")
    for name in ["azure-flexible.json.gz", "azure-single.json.gz", "azure-eventhub.json.gz"] {
      let result = try pgsift(["analyze", Self.export(name), "--format", "json"])
      #expect(result.status == 0, "\(name): \(result.stderr)")
      let report = try result.report()
      #expect(report.input.format == "azure")
      #expect(report.input.files.first?.logLinePrefix == "%t-%c-")
      #expect(Figures(report) == Figures(source), "\(name)")
      #expect(report.errors.filter { $0.sqlState == "23505" }.map(\.count).reduce(0, +) == uniqueViolations)
      #expect(uniqueViolations == 8)
      // The DETAIL in properties.detail reaches the error's example.
      #expect(report.errors.contains { $0.exampleDetail?.hasPrefix("Key (") == true })
    }
  }

  @Test("Azure: a damaged record is named by file and line, the records after it still read")
  func azureDamaged() throws {
    let dir = try TemporaryDirectory()
    let export = Self.export("azure-flexible.json.gz")
    try shell(
      """
      cd '\(dir.url.path)' && gzip -dc '\(export)' > flexible.json && \
      sed -i '30s/"category":"PostgreSQLLogs"/"category":PostgreSQLLogs/' flexible.json && \
      sed -i '60a not json at all' flexible.json && \
      sed -i '90a {"category":"PostgreSQLFlexSessions","properties":{"message":"sessions"}}' flexible.json
      """)
    let result = try pgsift(["analyze", dir.path("flexible.json"), "--format", "json"])
    #expect(result.status == 2)
    let report = try result.report()
    #expect(report.input.skippedLines == 3)
    #expect(result.stderr.contains("flexible.json:30: not a JSON record"))
    #expect(result.stderr.contains("flexible.json:61: text outside any JSON record of the Azure Monitor export"))
    #expect(result.stderr.contains("flexible.json:91: a record of category PostgreSQLFlexSessions, not PostgreSQLLogs"))
    let whole = try pgsift(["analyze", export, "--format", "json"]).report()
    #expect(report.summary.statements >= whole.summary.statements - 1)
  }
}
