// Server events (issue 3): lock waits, deadlocks, temporary files, checkpoints, connections, read from the real
// shop corpus in each of its three formats, against the counts the corpus README lists (made with grep).
import Foundation
import LogReading
import Reports
import Testing

@Suite("Server events")
struct EventsTests {
  @Test(
    "the shop corpus: 26 errors, 4 lock waits, 1 deadlock, 23 temp files, 2 checkpoints, 24 sessions",
    arguments: [
      "log", "csv", "json",
    ])
  func corpusCounts(_ format: String) throws {
    let path = Paths.shop.appendingPathComponent("postgresql.\(format).gz").path
    let result = try pgsift(["analyze", path, "--format", "json"])
    #expect(result.status == 0)
    let report = try result.report()
    let s = report.summary
    #expect(s.errors == 26)
    #expect(s.lockWaits == 4)
    #expect(s.deadlocks == 1)
    #expect(s.tempFiles == 23)
    #expect(s.checkpoints == 2)
    #expect(s.connections == 24)
    #expect(s.disconnections == 24)
    let events = try #require(report.events)
    // All four waits are the same UPDATE on kv; all four ended, one of them in the deadlock.
    let wait = try #require(events.lockWaits.first)
    #expect(events.lockWaits.count == 1)
    #expect(wait.waits == 4 && wait.acquired == 4 && wait.deadlocks == 1)
    #expect(wait.exampleStatement == "update kv set v='b' where k='lock'")
    #expect(wait.holder?.hasPrefix("Process holding the lock: ") == true)
    #expect(events.deadlocks.examples.first?.detail.contains("Process 16624: update kv set v='x' where k='d2'") == true)
    // Temporary files: 23 in all, each under the statement that wrote it; sizes summed from the log.
    #expect(events.tempFiles.reduce(0) { $0 + $1.files } == 23)
    #expect(events.tempFiles.allSatisfy { $0.fingerprint != nil })
    #expect(s.tempBytes == 201_682_624)
    // Two checkpoints: an immediate forced one (the CHECKPOINT command) and the shutdown one.
    #expect(events.checkpoints.completed == 2)
    #expect(events.checkpoints.reasons.first { $0.name == "immediate" }?.calls == 2)
    #expect(events.checkpoints.buffersWritten == 24_362 + 3_678)
    #expect(events.checkpoints.totalMs == 1_707 + 34)
    let c = events.connections
    #expect(c.authorized == 24)
    #expect(c.byUser == [NameCount(name: "postgres", calls: 24)])
    #expect(c.byApplication.map(\.name) == ["psql", "pgbench"])
    #expect(c.sessionsUnderOneSecond == 17)
    #expect(c.estimatedConnectMs == 17 * 20)
    // The same figures every time series bucket adds up to.
    #expect(report.timeSeries?.buckets.reduce(0) { $0 + $1.connections } == 24)
  }

  /// SQLSTATE → errors, as grep finds them in the shop corpus's csvlog (`,ERROR,23505,`) and in the epoch-prefix
  /// log's `%e` field.
  static let errorsByState = ["23505": 8, "42P01": 8, "42601": 8, "42P18": 1, "40P01": 1]

  @Test(
    "errors are grouped by SQLSTATE where the log carries it: csvlog, jsonlog, a %e prefix",
    arguments: [
      "shop/postgresql.csv.gz", "shop/postgresql.json.gz", "epoch-prefix/postgresql.log.gz", "shop/postgresql.log.gz",
    ])
  func sqlState(_ log: String) throws {
    let path = Paths.fixtures.appendingPathComponent(log).path
    let report = try pgsift(["analyze", path, "--format", "json"]).report()
    var counts: [String: Int] = [:]
    for group in report.errors { counts[group.sqlState ?? "none", default: 0] += group.count }
    if log == "shop/postgresql.log.gz" {
      // No %e in this prefix: the groups have no code, and are the same groups.
      #expect(counts == ["none": 26])
      #expect(report.errors.count == Self.errorsByState.count)
    } else {
      #expect(counts == Self.errorsByState)
      #expect(report.errors.first { $0.sqlState == "23505" }?.sqlStateClass == "integrity constraint violation")
      #expect(report.errors.first { $0.sqlState == "40P01" }?.sqlStateClass == "transaction rollback")
      let text = try pgsift(["analyze", path]).stdout
      #expect(text.contains("8 x ERROR 23505: duplicate key value violates unique constraint"), "\(text)")
    }
  }

  @Test("the text report has a section for each kind of event the log holds")
  func textSections() throws {
    let path = Paths.shop.appendingPathComponent("postgresql.log.gz").path
    let text = try pgsift(["analyze", path]).stdout
    for heading in ["Lock waits", "Temporary files", "Checkpoints", "Connections"] {
      #expect(text.contains("\n\(heading)\n"), "\(heading)")
    }
    #expect(text.contains("24 received, 24 authorized, 24 ended"))
    #expect(text.contains("deadlocks: 1"))
    #expect(text.contains("raise work_mem"))
  }

  @Test("autovacuum, autoanalyze, cancelled statements, a failed login, checkpoint warnings: a real log")
  func maintenance() throws {
    // fixtures/maintenance/generate: a real server with a bulk-updated table, statement_timeout,
    // pg_cancel_backend, a wrong password and a small max_wal_size. Counts are grep's over that log.
    let log = Paths.fixtures.appendingPathComponent("maintenance/postgresql.log.gz").path
    let result = try pgsift(["analyze", log, "--format", "json"])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try result.report()
    #expect(report.input.skippedLines == 0)
    let s = report.summary
    // grep -cE 'automatic (aggressive )?vacuum' 6, 'automatic analyze' 13, 'checkpoint complete' 23
    #expect(s.autovacuums == 6 && s.autoanalyzes == 13 && s.checkpoints == 23)
    #expect(s.cancelledStatements == 2)
    let events = try #require(report.events)
    // The three vacuums of the bulk-updated table: 0 + 40,133 + 133,923 dead tuples removed.
    let table = try #require(events.autovacuum.first { $0.table == "postgres.public.events" })
    #expect(table.runs == 3 && table.tuplesRemoved == 174_056)
    #expect(events.checkpoints.tooFrequentWarnings == 22)
    #expect(
      events.cancellations == [
        NameCount(name: "statement timeout", calls: 1), NameCount(name: "user request", calls: 1),
      ])
    #expect(events.connections.authenticationFailures == 1)
    let text = try pgsift(["analyze", log]).stdout
    #expect(text.contains("22 'checkpoints are occurring too frequently' warnings: raise max_wal_size"))
    #expect(text.contains("Cancelled statements: statement timeout 1, user request 1"))
  }
}

@Suite("Logs in another language")
struct LocalizedTests {
  @Test(
    "a server with German or French lc_messages is named, and the run ends with status 2",
    arguments: [
      ("de", "German"), ("fr", "French"),
    ])
  func named(_ language: String, _ name: String) throws {
    // Real logs: fixtures/localized/generate runs PostgreSQL 15 with lc_messages de_DE.UTF-8 and fr_FR.UTF-8.
    let log = Paths.fixtures.appendingPathComponent("localized/postgresql-\(language).log.gz").path
    let result = try pgsift(["analyze", log, "--format", "json"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("the server's messages are not in English: 4 records read"))
    #expect(result.stderr.contains("(\(name), lc_messages = '\(language)_…')"))
    #expect(try result.report().input.problems["localized_messages"] == 1)
  }

  @Test("English logs never trip it")
  func english() throws {
    let result = try pgsift([
      "analyze", Paths.shop.appendingPathComponent("postgresql.log.gz").path, "--format", "json",
    ])
    #expect(result.status == 0)
    #expect(try result.report().input.problems["localized_messages"] == nil)
  }
}

@Suite("Time series interval")
struct IntervalTests {
  @Test("--interval sets the series' interval: buckets of 10 s that add up to the whole log")
  func interval() throws {
    let log = Paths.shop.appendingPathComponent("postgresql.log.gz").path
    let report = try pgsift(["analyze", log, "--interval", "10s", "--format", "json"]).report()
    let series = try #require(report.timeSeries)
    #expect(series.intervalSeconds == 10)
    #expect(series.buckets.allSatisfy { $0.start.hasSuffix("0.000Z") })
    #expect(series.buckets.reduce(0) { $0 + $1.statements } == 21_875)
    #expect(series.buckets.reduce(0) { $0 + $1.connections } == 24)
    #expect(series.buckets.reduce(0) { $0 + $1.errors } == 26)
    let bad = try pgsift(["analyze", log, "--interval", "500ms"])
    #expect(bad.status == 1)
    #expect(bad.stderr.contains("--interval must be a whole number of milliseconds, at least 1s."))
  }

  @Test("merge refuses parts saved with different intervals")
  func mergeIntervals() throws {
    let dir = try TemporaryDirectory()
    let log = Paths.shop.appendingPathComponent("postgresql.log.gz").path
    _ = try pgsift(["analyze", log, "--save-state", dir.path("a"), "-q", "-o", dir.path("ra")])
    _ = try pgsift(["analyze", log, "--interval", "1min", "--save-state", dir.path("b"), "-q", "-o", dir.path("rb")])
    let merged = try pgsift(["merge", dir.path("a"), dir.path("b")])
    #expect(merged.status == 2)
    #expect(merged.stderr.contains("time series interval 60.0 s differs from 1.0 s"))
  }
}

@Suite("PgBouncer logs")
struct PgBouncerTests {
  static let log = Paths.fixtures.appendingPathComponent("pgbouncer/pgbouncer.log.gz").path

  @Test("a real PgBouncer log: logins, closes, server connections, pooler errors and stats, as grep counts them")
  func counts() throws {
    // fixtures/pgbouncer/generate: pgbench through PgBouncer 1.18 in transaction pooling.
    let result = try pgsift(["analyze", Self.log, "--format", "json"])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try result.report()
    #expect(report.input.format == "pgbouncer")
    #expect(report.input.skippedLines == 0)
    let b = try #require(report.events?.pgbouncer)
    #expect(b.lines == 269)
    #expect(b.logins == 128 && b.loginFailures == 1 && b.serverConnections == 4)
    #expect(
      b.closes == [
        NameCount(name: "client close request", calls: 127), NameCount(name: "no such database: no_such_db", calls: 1),
      ])
    #expect(b.problems == [NameCount(name: "pooler error: no such database: no_such_db", calls: 1)])
    #expect(b.statsPeriods == 3 && b.peakXactsPerSecond == 4_076 && b.peakQueriesPerSecond == 4_083)
    #expect(b.longestWaitUs == 14_439)
    let text = try pgsift(["analyze", Self.log]).stdout
    #expect(text.contains("128 client logins"))
    #expect(!text.contains("No statement in this input has a duration"))
  }

  @Test("read beside a server log: both sections, and the server's figures unchanged")
  func besideServer() throws {
    let shop = Paths.shop.appendingPathComponent("postgresql.log.gz").path
    let report = try pgsift(["analyze", shop, Self.log, "--format", "json"]).report()
    #expect(report.input.format == "mixed")
    #expect(report.summary.statements == 21_875 && report.summary.connections == 24)
    #expect(report.events?.pgbouncer?.logins == 128)
    let html = try pgsift(["analyze", shop, Self.log, "--format", "html"]).stdout
    #expect(html.contains("<h3>PgBouncer</h3><p>128 client logins"))
  }
}
