// Logs sent through syslog: fixtures/syslog/postgresql.syslog.gz is a real PostgreSQL 15 server logging to a
// real rsyslog (made by fixtures/syslog/generate). The counts below are grep's over that file.
import Foundation
import Reports
import Testing

@Suite("syslog logs")
struct SyslogTests {
  static let log = Paths.fixtures.appendingPathComponent("syslog/postgresql.syslog.gz").path

  func check(_ report: AnalysisReport) {
    let s = report.summary
    // grep -cE 'duration: [0-9.]+ ms  (statement|execute)'
    #expect(s.statements == 6_349)
    #expect(s.errors == 2)
    #expect(s.lockWaits == 1)
    #expect(s.tempFiles == 7)
    #expect(s.checkpoints == 2)
    #expect(s.connections == 15 && s.disconnections == 15)
    #expect(report.input.skippedLines == 0)
  }

  @Test("detected, every piece joined: counts equal grep's, multi-line and split statements whole")
  func detectedAndJoined() throws {
    let result = try pgsift(["analyze", Self.log, "--format", "json"])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try result.report()
    #expect(report.input.format == "syslog")
    check(report)
    let examples = report.queries.compactMap(\.example)
    // A statement longer than one syslog piece (900 bytes), split by the server and joined back.
    let long = try #require(examples.first { $0.contains("AS c119") })
    #expect(long.hasPrefix("SELECT aid + 0 AS c0, aid + 1 AS c1,"))
    #expect(long.hasSuffix("aid + 119 AS c119 FROM pgbench_accounts WHERE aid = 1;"))
    #expect(long.contains("aid + 48 AS c48, aid + 49 AS c49"))
    // A multi-line statement: its lines came as pieces starting with #011 (a tab).
    #expect(
      examples.contains(
        "SELECT aid, abalance\n  FROM pgbench_accounts\n WHERE bid = 1\n ORDER BY abalance DESC, aid\n LIMIT 5;"))
    // An error with the STATEMENT piece that followed it.
    #expect(report.errors.contains { $0.exampleStatement == "SELECT * FROM no_such_table;" })
    // Syslog times have no year: this run's is used.
    #expect(report.summary.first?.hasPrefix("2026-11-25T12:02:") == true)
  }

  @Test("RFC 3339 and RFC 5424 headers, octet-counted frames, a forced format and prefix, and reading with --state")
  func variants() throws {
    let dir = try TemporaryDirectory()
    // The same lines with rsyslog's RSYSLOG_FileFormat header: 2026-11-25T12:02:33.000000+00:00.
    try shell(
      "gzip -dc '\(Self.log)' | sed -E 's/^Nov 25 ([0-9:]{8}) /2026-11-25T\\1.000000+00:00 /' > '\(dir.path("precise.log"))'"
    )
    let precise = try pgsift(["analyze", dir.path("precise.log"), "--format", "json"])
    #expect(precise.status == 0, "\(precise.stderr)")
    check(try precise.report())
    // RFC 5424 (rsyslog's RSYSLOG_SyslogProtocol23Format), and the same with the octet counts of TCP framing.
    try shell(
      "cd '\(dir.url.path)' && gzip -dc '\(Self.log)' | sed -E 's/^Nov 25 ([0-9:]{8}) vm postgres\\[([0-9]+)\\]: /<134>1 2026-11-25T\\1.000000+00:00 vm postgres \\2 - - /' > rfc5424.log && awk '{ print length($0) + 1 \" \" $0 }' rfc5424.log > framed.log"
    )
    for name in ["rfc5424.log", "framed.log"] {
      let result = try pgsift(["analyze", dir.path(name), "--format", "json"])
      #expect(result.status == 0, "\(name): \(result.stderr)")
      let report = try result.report()
      #expect(report.input.format == "syslog")
      check(report)
    }
    let prefix = try String(
      contentsOfFile: Paths.fixtures.appendingPathComponent("syslog/log_line_prefix.txt").path, encoding: .utf8
    )
    .trimmingCharacters(in: .newlines)
    let forced = try pgsift(["analyze", Self.log, "--log-format", "syslog", "--prefix", prefix, "--format", "json"])
    check(try forced.report())
    // Half the file, then all of it, with --state: every statement counted once.
    try shell(
      "cd '\(dir.url.path)' && gzip -dc '\(Self.log)' > all.log && head -n 9000 all.log > live.log && tail -n +9001 all.log > rest"
    )
    let state = ["--state", dir.path("state.json"), "--format", "json"]
    let first = try pgsift(["analyze", dir.path("live.log")] + state).report().summary.statements
    try shell("cd '\(dir.url.path)' && cat rest >> live.log")
    let second = try pgsift(["analyze", dir.path("live.log")] + state).report().summary.statements
    #expect(first + second == 6_349)
  }
}
