// The dialects real servers and services write, each on a real log (or a real log in a service's documented
// layout), with exact counts: verbose error reports, signed query ids, ambiguous time zones, CloudNativePG's
// JSON, PgBouncer 1.9–1.15's lines, Heroku drains that carry their token, Cloud SQL's agent sending a message's
// lines apart, application names with spaces, and other programs' lines in a syslog file.
import Foundation
import LogReading
import Reports
import Testing

@Suite("Dialects of real servers and services")
struct DialectTests {
  static let prefixes = Paths.fixtures.appendingPathComponent("prefixes")
  static func prefixLog(_ name: String) -> String { prefixes.appendingPathComponent(name).path }

  @Test("log_error_verbosity = verbose: LOG:  00000: duration… and LOCATION lines read as csvlog reads the run")
  func verbose() throws {
    let log = Self.prefixLog("verbose.log.gz")
    let result = try pgsift(["analyze", log, "--format", "json"])
    #expect(result.status == 0, "\(result.stderr.prefix(1000))")
    let report = try result.report()
    let statements = try grepCount("LOG:  00000: duration: [0-9.]+ ms  (statement|execute)", in: "gzip -dc '\(log)'")
    #expect(statements > 1000)
    #expect(report.summary.statements == statements)
    #expect(try grepCount(" LOCATION:  [a-zA-Z_]+, [a-z_]+\\.c:[0-9]+$", in: "gzip -dc '\(log)'") > statements)
    #expect(report.input.skippedLines == 0)
    // The SQLSTATE verbose reports carry groups errors, though the prefix has no %e.
    let errors = try grepCount(" ERROR:  [0-9A-Z]{5}: ", in: "gzip -dc '\(log)'")
    #expect(report.summary.errors == errors)
    #expect(report.errors.allSatisfy { $0.sqlState != nil && $0.sqlState != "00000" })
    #expect(
      report.errors.contains { $0.sqlState == "42P01" && $0.message == "relation \"no_such_table\" does not exist" })
  }

  @Test("signed 64-bit query ids (%Q) of 19 and 20 characters, inferred and given")
  func queryIDs() throws {
    let log = Self.prefixLog("query-id.log.gz")
    #expect(try grepCount("\\] -[0-9]{19} ", in: "gzip -dc '\(log)'") > 100)
    for extra in [[], ["--prefix", "%m [%p] %Q %q%u@%d "]] {
      let result = try pgsift(["analyze", log, "--format", "json"] + extra)
      #expect(result.status == 0, "\(result.stderr.prefix(1000))")
      let report = try result.report()
      #expect(report.input.skippedLines == 0)
      #expect(
        report.summary.statements
          == (try grepCount("duration: [0-9.]+ ms  (statement|execute)", in: "gzip -dc '\(log)'")))
    }
  }

  @Test("an ambiguous zone abbreviation is named, and --log-timezone reads it as the server's zone")
  func ambiguousZones() throws {
    // Asia/Shanghai prints CST, which is also US Central's.
    let shanghai = Self.prefixLog("tz-shanghai.log.gz")
    let plain = try pgsift(["analyze", shanghai, "--format", "json"])
    #expect(plain.status == 0)
    #expect(plain.stderr.contains("time zone CST stands for several zones: read as US Central (UTC-06:00)"))
    #expect(plain.stderr.contains("China (UTC+08:00)"))
    let first = try #require(try plain.report().summary.first)
    for zone in ["Asia/Shanghai", "+08:00", "UTC+8"] {
      let given = try pgsift(["analyze", shanghai, "--format", "json", "--log-timezone", zone])
      #expect(given.status == 0)
      #expect(!given.stderr.contains("stands for several zones"), "\(given.stderr)")
      let report = try given.report()
      // Fourteen hours apart: UTC-6 against UTC+8.
      let times = try [first, #require(report.summary.first)].map { try #require(Self.epoch($0)) }
      #expect(times[0] - times[1] == 14 * 3600)
      // The csvlog of the same run, read the same way, starts at the same time.
      let csv = try pgsift([
        "analyze", Self.prefixLog("tz-shanghai.csv.gz"), "--format", "json", "--log-timezone", zone,
      ])
      #expect(try csv.report().summary.first == report.summary.first)
    }
    // Asia/Kolkata prints IST, which is also Ireland's and Israel's; India is the reading taken.
    let kolkata = try pgsift(["analyze", Self.prefixLog("tz-kolkata.log.gz"), "--format", "json"])
    #expect(kolkata.stderr.contains("time zone IST stands for several zones: read as India (UTC+05:30)"))
    // America/Chicago's CST read with its zone given: no notice.
    let chicago = try pgsift([
      "analyze", Self.prefixLog("tz-chicago.log.gz"), "--format", "json", "--log-timezone", "America/Chicago",
    ])
    #expect(chicago.status == 0 && !chicago.stderr.contains("stands for several zones"))
    let bad = try pgsift(["analyze", shanghai, "--log-timezone", "Mars/Olympus"])
    #expect(bad.status == 1)
    #expect(bad.stderr.contains("--log-timezone Mars/Olympus: not a time zone"))
  }

  static func epoch(_ iso: String) -> Int? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: iso).map { Int($0.timeIntervalSince1970) }
  }

  @Test("CloudNativePG's JSON lines: the report of the csvlog they carry; other loggers counted, named once")
  func cloudNativePG() throws {
    let csv = try pgsift(["analyze", Self.prefixLog("debian.csv.gz"), "--format", "json"]).report()
    for name in ["pod.log.gz", "pod-compact.log.gz"] {
      let path = Paths.fixtures.appendingPathComponent("cloudnativepg/\(name)").path
      let result = try pgsift(["analyze", path, "--format", "json"])
      #expect(result.status == 0, "\(result.stderr)")
      let report = try result.report()
      #expect(report.input.format == "cloudnativepg")
      #expect(report.input.skippedLines == 0)
      #expect(callsAndTotals(report) == callsAndTotals(csv))
      #expect(report.summary.errors == csv.summary.errors && report.summary.connections == csv.summary.connections)
      #expect(report.summary.checkpoints == csv.summary.checkpoints)
      let other = try grepCount(
        "\"logger\":\"(pg_controldata|barman)|^\\{\"level\":\"info\",\"ts\":\"[^\"]*\",\"msg\"",
        in: "gzip -dc '\(path)'")
      #expect(report.input.files.first?.otherProgramLines == other)
      if other > 0 {
        #expect(result.stderr.contains("\(other) lines of other programs passed over (CloudNativePG"))
      }
    }
  }

  @Test("PgBouncer 1.9–1.15's lines (time pid LEVEL, no zone, no brackets) read as the newer ones")
  func oldPgBouncer() throws {
    let dir = try TemporaryDirectory()
    let log = Paths.fixtures.appendingPathComponent("pgbouncer/pgbouncer.log.gz").path
    try shell(
      "gzip -dc '\(log)' | sed -E 's/^([0-9-]+ [0-9:.]+) UTC \\[([0-9]+)\\] /\\1 \\2 /' > '\(dir.path("old.log"))'")
    #expect(try grepCount("^[0-9-]+ [0-9:.]+ [0-9]+ (LOG|WARNING|ERROR) ", in: "cat '\(dir.path("old.log"))'") > 100)
    let new = try pgsift(["analyze", log, "--format", "json"])
    let old = try pgsift(["analyze", dir.path("old.log"), "--format", "json"])
    #expect(old.status == new.status)
    let a = try new.report()
    let b = try old.report()
    #expect(b.input.format == "pgbouncer")
    #expect(b.input.skippedLines == 0)
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    #expect(try encoder.encode(b.events) == (try encoder.encode(a.events)))
    #expect(b.summary.statements == a.summary.statements)
  }

  @Test("a Heroku drain whose host is its token: `d.<uuid> app[postgres.N] [AQUA] …`; the colour is no database")
  func herokuDrainToken() throws {
    let dir = try TemporaryDirectory()
    let log = Paths.fixtures.appendingPathComponent("heroku/postgresql.logplex.gz").path
    // As Heroku's documentation shows a drain's lines (devcenter.heroku.com/articles/log-drains), and a Heroku
    // Postgres database named by its colour, with the app's and the metrics' lines beside.
    try shell(
      """
      gzip -dc '\(log)' | sed -E 's/^([^ ]+) app\\[postgres\\.([0-9]+)\\]: \\[DATABASE\\] /\\1 d.9173ea1f-6f14-4976-9cf0-7cd0dafdcdbc app[postgres.\\2] [AQUA] /' \
        | sed '300a 2026-11-25T15:31:40.100000+00:00 d.9173ea1f-6f14-4976-9cf0-7cd0dafdcdbc app[web.1] Completed 200 OK in 12ms' \
        | sed '600a 2026-11-25T15:31:41+00:00 d.9173ea1f-6f14-4976-9cf0-7cd0dafdcdbc app[heroku-postgres] source=AQUA addon=postgresql-curly-1234 sample#current_transaction=2204 sample#db_size=9437184bytes' \
        > '\(dir.path("drain.log"))'
      """)
    #expect(
      try grepCount(
        "^[^ ]+ d\\.9173ea1f-[^ ]+ app\\[postgres\\.[0-9]+\\] \\[AQUA\\] ", in: "cat '\(dir.path("drain.log"))'")
        > 10_000)
    let plain = try pgsift(["analyze", log, "--format", "json"]).report()
    let result = try pgsift(["analyze", dir.path("drain.log"), "--format", "json"])
    #expect(result.status == 0, "\(result.stderr.prefix(1000))")
    let report = try result.report()
    #expect(report.input.format == "logplex")
    #expect(report.input.skippedLines == 0)
    #expect(callsAndTotals(report) == callsAndTotals(plain))
    #expect(report.input.files.first?.otherProgramLines == 2)
    let databases = Set(report.queries.flatMap { $0.databases.map(\.name) })
    #expect(!databases.contains("AQUA") && !databases.contains("[AQUA]"))
    #expect(databases == Set(plain.queries.flatMap { $0.databases.map(\.name) }))
  }

  @Test("Cloud SQL entries that each hold one line of a long message are joined into its record")
  func cloudSQLSplitEntries() throws {
    let dir = try TemporaryDirectory()
    // A real run with Cloud SQL's prefix, autovacuum on, as a log sink's export (an entry a record).
    let log = Self.prefixLog("cloudsql.log.gz")
    let generate = Paths.fixtures.appendingPathComponent("cloud-exports/generate").path
    let export = dir.path("whole.ndjson")
    try shell(
      "gzip -dc '\(log)' > '\(dir.path("postgresql.log"))' && '\(generate)' cloudsql '\(dir.path("postgresql.log"))' > '\(export)'"
    )
    #expect(try grepCount("automatic vacuum of table", in: "cat '\(export)'") > 0)
    // Each line of a multi-line record (autovacuum's details, multi-line statements) as an entry of its own,
    // the way Cloud SQL's logging agent sends the lines of postgres.log; its tab kept on half of them.
    try shell(
      """
      python3 -c '
      import json, sys
      for n, line in enumerate(sys.stdin):
          entry = json.loads(line)
          parts = entry["textPayload"].split("\\n")
          for k, part in enumerate(parts):
              piece = dict(entry)
              piece["textPayload"] = part if k == 0 or n % 2 else part.lstrip("\\t")
              piece["insertId"] = entry["insertId"] + "-" + str(k)
              print(json.dumps(piece, separators=(",", ":")))
      ' < '\(export)' > '\(dir.path("split.ndjson"))'
      """)
    let whole = try pgsift(["analyze", export, "--format", "json"]).report()
    let entries = try grepCount(".", in: "cat '\(dir.path("split.ndjson"))'")
    #expect(entries > (try grepCount(".", in: "cat '\(export)'")) + 100)
    for jobs in ["1", "2"] {
      let result = try pgsift([
        "analyze", dir.path("split.ndjson"), "--format", "json", "--jobs", jobs, "--chunk-size", "65536",
      ])
      #expect(result.status == 0, "\(result.stderr.prefix(1000))")
      let report = try result.report()
      #expect(report.input.skippedLines == 0)
      #expect(callsAndTotals(report) == callsAndTotals(whole))
      #expect(report.summary.autovacuums == whole.summary.autovacuums && whole.summary.autovacuums > 0)
      #expect(
        Set(report.queries.compactMap(\.example).filter { $0.contains("\n") })
          == Set(whole.queries.compactMap(\.example).filter { $0.contains("\n") }))
    }
  }

  @Test("an application name with spaces is one name in the connection breakdown, in stderr and csvlog")
  func applicationWithSpaces() throws {
    for format in ["log", "csv"] {
      let log = Self.prefixLog("debian.\(format).gz")
      let report = try pgsift(["analyze", log, "--format", "json"]).report()
      let applications = try #require(report.events?.connections.byApplication)
      let jdbc = try #require(applications.first { $0.name == "PostgreSQL JDBC Driver" })
      #expect(
        jdbc.calls
          == (try grepCount("connection authorized: .*application_name=PostgreSQL JDBC Driver", in: "gzip -dc '\(log)'"))
      )
      #expect(jdbc.calls > 0)
      #expect(!applications.contains { $0.name == "PostgreSQL" })
    }
  }

  @Test("a prefix changed halfway (the server reloaded): the lines after read with the prefix they have")
  func prefixChangedHalfway() throws {
    // fixtures/prefixes/reloaded: '%m [%p] %q%u@%d ', then '%t [%p]: user=%u,db=%d,app=%a,client=%h '.
    let log = Self.prefixLog("reloaded.log.gz")
    let second = "%t [%p]: user=%u,db=%d,app=%a,client=%h "
    let changed = try grepCount("^[0-9-]+ [0-9:]+ UTC \\[[0-9]+\\]: user=", in: "gzip -dc '\(log)'")
    #expect(changed > 500)
    let csv = try pgsift(["analyze", Self.prefixLog("reloaded.csv.gz"), "--format", "json"]).report()
    let dir = try TemporaryDirectory()
    try shell("gzip -dc '\(log)' > '\(dir.path("plain.log"))'")
    // The compressed file is read from its head: the lines are held and their prefix inferred when they come;
    // the plain one is sampled further in, and the second prefix found before reading.
    for path in [log, dir.path("plain.log")] {
      let result = try pgsift(["analyze", path, "--format", "json"])
      #expect(result.status == 0, "\(result.stderr)")
      let report = try result.report()
      #expect(report.input.skippedLines == 0)
      #expect(callsAndTotals(report) == callsAndTotals(csv))
      let file = try #require(report.input.files.first)
      #expect(file.logLinePrefix == "%m [%p] %q%u@%d ")
      let readings = Dictionary(uniqueKeysWithValues: file.prefixReadings.map { ($0.name, $0.calls) })
      #expect(
        readings[second]
          == (try grepCount("^[0-9-]+ [0-9:]+ UTC \\[[0-9]+\\]: user=.* [A-Z]+:  ", in: "gzip -dc '\(log)'")))
      #expect(result.stderr.contains("records read with other readings of the prefix than '%m [%p] %q%u@%d ': "))
    }
  }

  @Test("other programs' lines in a syslog file are counted and named once, and the run is clean")
  func syslogOtherPrograms() throws {
    let dir = try TemporaryDirectory()
    let log = Paths.fixtures.appendingPathComponent("syslog/postgresql.syslog.gz").path
    // Lines of other daemons as rsyslog's traditional file format writes them, between PostgreSQL's.
    try shell(
      """
      gzip -dc '\(log)' \
        | sed '100a Nov 25 12:02:40 vm systemd[1]: Started session-12.scope - Session 12 of User root.' \
        | sed '200a Nov 25 12:02:41 vm CRON[31337]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)' \
        | sed '300a Nov 25 12:02:42 vm sshd[4242]: Accepted publickey for deploy from 10.0.0.9 port 51234 ssh2' \
        | sed '400a Nov 25 12:02:43 vm kernel: [12345.678901] EXT4-fs (vda1): re-mounted. Quota mode: none.' \
        | sed '500a Nov 25 12:02:44 vm CRON[31338]: pam_unix(cron:session): session closed for user root' \
        > '\(dir.path("mixed.log"))'
      """)
    let plain = try pgsift(["analyze", log, "--format", "json"]).report()
    let result = try pgsift(["analyze", dir.path("mixed.log"), "--format", "json"])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try result.report()
    #expect(report.input.skippedLines == 0)
    #expect(callsAndTotals(report) == callsAndTotals(plain))
    let file = try #require(report.input.files.first)
    #expect(file.otherProgramLines == 5)
    #expect(
      file.otherPrograms == [
        NameCount(name: "CRON", calls: 2), NameCount(name: "kernel", calls: 1), NameCount(name: "sshd", calls: 1),
        NameCount(name: "systemd", calls: 1),
      ])
    #expect(
      result.stderr
        == "pgsift: \(dir.path("mixed.log")): 5 lines of other programs passed over (CRON 2, kernel 1, sshd 1, systemd 1)\n"
    )
  }
}
