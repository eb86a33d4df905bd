// Parallel reading and merged runs: the report must not depend on how the input was cut or on how many
// threads read it, and `merge` of saved runs must give what one run over all their inputs gives.
import Foundation
import Reports
import Testing

@Suite("Parallel reading and merge")
struct ParallelTests {
  /// Every real log in fixtures/, in every format.
  static let logs: [String] = {
    var paths: [String] = []
    for set in ["shop", "debian-prefix", "colon-prefix", "epoch-prefix", "blog", "orm"] {
      for format in ["log", "csv", "json"] {
        paths.append(Paths.fixtures.appendingPathComponent(set).appendingPathComponent("postgresql.\(format).gz").path)
      }
    }
    paths.append(Paths.fixtures.appendingPathComponent("gate/with-indexes.log.gz").path)
    paths.append(Paths.fixtures.appendingPathComponent("hostile/postgresql.log").path)
    paths.append(Paths.fixtures.appendingPathComponent("syslog/postgresql.syslog.gz").path)
    for format in ["text", "json"] {
      paths.append(Paths.fixtures.appendingPathComponent("auto_explain/postgresql-\(format).log.gz").path)
    }
    paths.append(Paths.fixtures.appendingPathComponent("pgbouncer/pgbouncer.log.gz").path)
    paths.append(Paths.fixtures.appendingPathComponent("maintenance/postgresql.log.gz").path)
    paths.append(Paths.fixtures.appendingPathComponent("heroku/postgresql.drain.gz").path)
    // A record a line: cut like jsonlog. gcloud's array: read whole.
    for export in ["cloudsql.ndjson.gz", "cloudsql-gcloud.json.gz", "azure-flexible.json.gz", "azure-eventhub.json.gz"]
    {
      paths.append(Paths.fixtures.appendingPathComponent("cloud-exports/\(export)").path)
    }
    return paths
  }()

  static let whole = ["--chunk-size", String(1 << 40)]

  @Test("--jobs 2 and small chunks give exactly the report of one thread reading the file whole", arguments: logs)
  func cutAnywhere(_ log: String) throws {
    let reference = try pgsift(["analyze", log, "--format", "json", "--jobs", "1"] + Self.whole)
    // 1 byte cuts before every record that may start a piece; 3000 bytes cuts mid-session, mid-error.
    for (cut, jobs) in [("1", "2"), ("3000", "1")] {
      do {
        let result = try pgsift(["analyze", log, "--format", "json", "--jobs", jobs, "--chunk-size", cut])
        #expect(result.status == reference.status, "\(log) -j \(jobs) --chunk-size \(cut)")
        #expect(result.stdout == reference.stdout, "\(log) -j \(jobs) --chunk-size \(cut)")
        #expect(result.stderr == reference.stderr, "\(log) -j \(jobs) --chunk-size \(cut)")
      }
    }
    // The pieces really were parsed apart: at --chunk-size 1 every record that may start a piece starts one, so a
    // file of many records is read in many pieces; and the report counts statements (a PgBouncer log has none).
    let report = try reference.report()
    #expect(report.input.entries >= 5, "\(log): \(report.input.entries) records, too few to cut")
    #expect(report.summary.statements > 0 || log.contains("hostile") || log.contains("pgbouncer"), "\(log)")
  }

  @Test("several files at once: the same report whatever the thread count, in every report format")
  func severalFiles() throws {
    let files = Self.logs.filter { $0.contains("shop") || $0.contains("blog") }
    for format in ["json", "text", "html"] {
      let one = try pgsift(["analyze", "--format", format, "--jobs", "1"] + Self.whole + files)
      let two = try pgsift(["analyze", "--format", format, "--jobs", "2", "--chunk-size", "65536"] + files)
      #expect(one.status == 0)
      #expect(one.stdout == two.stdout, "\(format)")
    }
  }

  @Test("merge of runs saved with --save-state equals one run over all their inputs")
  func mergeEqualsOneRun() throws {
    let dir = try TemporaryDirectory()
    let shop = Paths.shop.appendingPathComponent("postgresql.log.gz").path
    let shopCsv = Paths.shop.appendingPathComponent("postgresql.csv.gz").path
    let blog = Paths.fixtures.appendingPathComponent("blog/postgresql.json.gz").path
    // Host A has two logs, host B one; each saves its own run.
    let a = try pgsift(["analyze", shop, shopCsv, "--save-state", dir.path("a.state"), "--format", "json"])
    let b = try pgsift(["analyze", blog, "--save-state", dir.path("b.state"), "--quiet", "-o", dir.path("b.txt")])
    #expect(a.status == 0 && b.status == 0)
    let schema = Paths.shop.appendingPathComponent("schema.sql").path
    for format in ["json", "text", "html"] {
      let single = try pgsift(["analyze", shop, shopCsv, blog, "--format", format, "--schema", schema])
      let merged = try pgsift(
        ["merge", dir.path("a.state"), dir.path("b.state"), "--format", format, "--schema", schema])
      #expect(merged.status == 0, "\(merged.stderr)")
      #expect(merged.stdout == single.stdout, "\(format)")
    }
    // A merged run saved again merges on: ((A) + B) saved, then read alone, is still the same report.
    #expect(
      try pgsift(["merge", dir.path("a.state"), dir.path("b.state"), "--save-state", dir.path("ab.state"), "-q"])
        .status == 0)
    let again = try pgsift(["merge", dir.path("ab.state"), "--format", "json"])
    let single = try pgsift(["analyze", shop, shopCsv, blog, "--format", "json"])
    #expect(again.stdout == single.stdout)
    let report = try again.report()
    #expect(
      report.summary.statements == 21_875 * 2
        + (try pgsift(["analyze", blog, "--format", "json"]).report()
          .summary.statements))
  }

  @Test("merge refuses parts it cannot add: another threshold, a damaged file (exit 2, named)")
  func mergeRefuses() throws {
    let dir = try TemporaryDirectory()
    let shop = Paths.shop.appendingPathComponent("postgresql.log.gz").path
    _ = try pgsift(["analyze", shop, "--save-state", dir.path("30.state"), "-q", "-o", dir.path("r1")])
    _ = try pgsift(
      ["analyze", shop, "--threshold", "100ms", "--save-state", dir.path("100.state"), "-q", "-o", dir.path("r2")])
    let mixed = try pgsift(["merge", dir.path("30.state"), dir.path("100.state")])
    #expect(mixed.status == 2)
    #expect(mixed.stderr.contains("slow threshold 100.0 ms differs from 30.0 ms"))
    try "{\"pgsift_state\": 2, \"aggregate\": []}".write(
      toFile: dir.path("bad.state"), atomically: true, encoding: .utf8)
    let damaged = try pgsift(["merge", dir.path("30.state"), dir.path("bad.state")])
    #expect(damaged.status == 2)
    #expect(damaged.stderr.contains("bad.state: not a pgsift --save-state file"))
    try "{\"pgsift_state\": 1, \"aggregate\": []}".write(
      toFile: dir.path("old.state"), atomically: true, encoding: .utf8)
    let old = try pgsift(["merge", dir.path("30.state"), dir.path("old.state")])
    #expect(old.status == 2)
    #expect(old.stderr.contains("saved by a pgsift with state format 1; this one reads 3"), "\(old.stderr)")
    let missing = try pgsift(["merge", dir.path("nowhere.state")])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("nowhere.state: cannot read the saved state"))
  }

  @Test("--state with small pieces: a half-written last line is left for the next run, nothing counted twice")
  func resumeInPieces() throws {
    let dir = try TemporaryDirectory()
    let shop = Paths.shop.appendingPathComponent("postgresql.log.gz").path
    try shell(
      "cd '\(dir.url.path)' && gzip -dc '\(shop)' > all.log && head -c 3000000 all.log > live.log && "
        + "tail -c +3000001 all.log > rest")
    let pieces = ["--jobs", "2", "--chunk-size", "20000", "--format", "json", "--state", dir.path("state.json")]
    let first = try pgsift(["analyze", dir.path("live.log")] + pieces)
    try shell("cd '\(dir.url.path)' && cat rest >> live.log")
    let second = try pgsift(["analyze", dir.path("live.log")] + pieces)
    #expect(first.status == 0 && second.status == 0)
    #expect(try first.report().summary.statements + second.report().summary.statements == 21_875)
  }
}

/// A fleet, or a log cut by rotation: each part analyzed by its own process under GNU parallel (a real job
/// runner), the saved parts merged in order.
@Suite("Fleet: separate processes under GNU parallel, merged")
struct FleetTests {
  static let parallel = ["/usr/bin/parallel", "/usr/local/bin/parallel"].first {
    FileManager.default.isExecutableFile(atPath: $0)
  }

  @Test(
    "a log cut into four parts at record boundaries, four processes, one merge: the single run's report",
    .enabled(if: parallel != nil, "needs GNU parallel (Debian package parallel; scripts/install-deps --server)"))
  func cutAndMerged() throws {
    let dir = try TemporaryDirectory()
    let shop = Paths.shop.appendingPathComponent("postgresql.log.gz").path
    // Cuts before a line that starts a record of its own (never before its DETAIL, STATEMENT, HINT or CONTEXT).
    try shell(
      """
      cd '\(dir.url.path)' && gzip -dc '\(shop)' > whole.log && python3 -c '
      import re
      lines = open("whole.log", "rb").read().split(b"\\n")[:-1]
      cuts = [0]
      for k in range(1, 4):
          i = len(lines) * k // 4
          while not re.match(rb"^\\d{4}-\\d\\d-\\d\\d .* (LOG|ERROR|FATAL|WARNING):  ", lines[i]): i += 1
          cuts.append(i)
      cuts.append(len(lines))
      for k in range(4):
          open("part%d.log" % k, "wb").write(b"".join(l + b"\\n" for l in lines[cuts[k]:cuts[k + 1]]))
      '
      """)
    let parts = (0..<4).map { dir.path("part\($0).log") }
    let jobs = try run(
      Self.parallel!,
      [
        "-j", "2", "--halt", "now,fail=1", Paths.binary.path, "analyze", "{}", "--save-state", "{}.state", "-q", "-o",
        "/dev/null", ":::",
      ] + parts)
    #expect(jobs.status == 0, "\(jobs.stderr)")
    let merged = try pgsift(["merge"] + parts.map { $0 + ".state" } + ["--format", "json"])
    #expect(merged.status == 0, "\(merged.stderr)")
    let single = try pgsift(["analyze", dir.path("whole.log"), "--format", "json"])
    // The same report but for the list of files read: four of them, whose lines add up to the whole's.
    var mergedReport = try merged.report()
    let singleReport = try single.report()
    #expect(mergedReport.input.files.count == 4)
    #expect(mergedReport.input.lines == singleReport.input.lines)
    #expect(mergedReport.input.problems == singleReport.input.problems)
    mergedReport.input.files = singleReport.input.files
    #expect(try JSONReport.render(mergedReport) == JSONReport.render(singleReport))
    #expect(mergedReport.summary.statements == HostileInputTests.shopStatements)
  }

  @Test("the JSON report encoded in runs of queries on several threads is byte for byte the one encoder's")
  func jsonInRuns() throws {
    for set in ["shop", "blog", "orm"] {
      let log = Paths.fixtures.appendingPathComponent(set).appendingPathComponent("postgresql.log.gz").path
      let one = try pgsift(["analyze", log, "--format", "json", "--jobs", "1"])
      let report = try one.report()
      // The runs are really taken: enough queries for two of them at least, and the text they give.
      #expect(report.queries.count >= 2 * 16, "\(set): \(report.queries.count) queries")
      let single = try JSONReport.render(report, threads: 1)
      for threads in [2, 3, 8] {
        let inRuns = try #require(try JSONReport.renderInRuns(report, threads: threads), "\(set), \(threads) threads")
        #expect(inRuns == single, "\(set), \(threads) threads")
      }
      // And through the CLI: the same report with both cores encoding it.
      let two = try pgsift(["analyze", log, "--format", "json", "--jobs", "2"])
      #expect(two.stdout == one.stdout, "\(set)")
    }
  }
}
