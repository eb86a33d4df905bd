// The cron side: --state across appends, rotation (renamed and gzipped) and truncation; time windows; output
// names with strftime patterns; --quiet.
import Foundation
import Reports
import Testing

@Suite("Cron: incremental reading and windows")
struct CronTests {
  static let shopLog = Paths.shop.appendingPathComponent("postgresql.log.gz").path

  func statements(_ arguments: [String]) throws -> (CLIResult, AnalysisReport) {
    let result = try pgsift(["analyze", "--format", "json"] + arguments)
    return (result, try result.report())
  }

  @Test("--state: append, a half-written line, rotation to .1.gz, truncation: every statement counted once")
  func incremental() throws {
    let dir = try TemporaryDirectory()
    let d = dir.url.path
    // The real log in four pieces; piece 2 ends in the middle of a line, finished by piece 3.
    try shell(
      """
      cd '\(d)' && gzip -dc '\(Self.shopLog)' > all.log && head -n 20000 all.log > p1 && sed -n '20001,35000p' all.log > p2 \\
      && sed -n '35001,50000p' all.log > p3 && sed -n '50001,$p' all.log > p4 \\
      && head -c -40 p2 > p2a && tail -c 40 p2 > p2b
      """)
    let state = dir.path("state.json")
    let live = dir.path("postgresql.log")
    var total = 0
    var runs: [Int] = []
    func run(_ files: [String]) throws {
      let (result, report) = try statements(files + ["--state", state, "--quiet"])
      #expect(result.status == 0, "\(result.stderr)")
      #expect(report.input.skippedLines == 0)
      runs.append(report.summary.statements)
      total += report.summary.statements
    }
    try shell("cp '\(d)/p1' '\(live)'")
    try run([live])
    try shell("cat '\(d)/p2a' >> '\(live)'")  // the last line has no newline yet
    try run([live])
    try run([live])  // nothing new
    // Finish the line, rotate (rename, then gzip), start a new file.
    try shell(
      "cd '\(d)' && cat p2b >> postgresql.log && mv postgresql.log postgresql.log.1 && gzip postgresql.log.1 && cp p3 postgresql.log"
    )
    try run([dir.path("postgresql.log.1.gz"), live])
    // copytruncate: the live file is emptied and written anew.
    try shell("cd '\(d)' && : > postgresql.log && cp p4 postgresql.log.new && cat postgresql.log.new >> postgresql.log")
    try run([dir.path("postgresql.log.1.gz"), live])
    let whole = try statements([dir.path("all.log")]).1.summary.statements
    #expect(whole == 21_875)
    #expect(total == whole, "runs counted \(runs)")
    #expect(runs[2] == 0)
    let saved = try String(contentsOfFile: state, encoding: .utf8)
    #expect(saved.contains("\"head_hash\""))
  }

  @Test("a damaged state file stops the run before reading (exit 2); a missing one starts fresh")
  func damagedState() throws {
    let dir = try TemporaryDirectory()
    let state = dir.path("state.json")
    try "{ not json".write(toFile: state, atomically: true, encoding: .utf8)
    let result = try pgsift(["analyze", Self.shopLog, "--state", state, "--format", "json"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("state file is damaged"))
    #expect(try String(contentsOfFile: state, encoding: .utf8) == "{ not json")
    let fresh = try pgsift(["analyze", Self.shopLog, "--state", dir.path("new.json"), "--format", "json", "--quiet"])
    #expect(fresh.status == 0)
    #expect(FileManager.default.fileExists(atPath: dir.path("new.json")))
  }

  @Test("--since/--until/--last select by the log's own timestamps")
  func window() throws {
    let (_, report) = try statements([Self.shopLog, "--since", "2026-11-25 04:04:30", "--until", "2026-11-25 04:04:40"])
    // Counted with awk on the log: duration records stamped 04:04:30 to 04:04:39.
    #expect(report.summary.statements == 3_506)
    #expect(report.summary.first == "2026-11-25T04:04:30.000Z")
    #expect(report.input.files.first!.outsideWindow > 0)
    let (_, last) = try statements([Self.shopLog, "--until", "2026-11-25T04:04:40Z", "--last", "10s"])
    #expect(last.summary.statements == 3_506)
    let bad = try pgsift(["analyze", Self.shopLog, "--since", "yesterday"])
    #expect(bad.status == 1)
  }

  @Test("-o expands strftime patterns; --quiet prints nothing when all is well")
  func outputName() throws {
    let dir = try TemporaryDirectory()
    let result = try pgsift(["analyze", Self.shopLog, "-o", dir.path("report-%Y-%m-%d.json"), "--quiet"])
    #expect(result.status == 0)
    #expect(result.stdout.isEmpty && result.stderr.isEmpty)
    var parts = tm()
    var now = time(nil)
    localtime_r(&now, &parts)
    let name = String(format: "report-%04d-%02d-%02d.json", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday)
    #expect(FileManager.default.fileExists(atPath: dir.path(name)))
    // Problems still speak up under --quiet.
    let broken = try pgsift(["analyze", "/no/such.log", "-o", dir.path("x.json"), "--quiet"])
    #expect(broken.status == 2)
    #expect(broken.stderr.contains("/no/such.log"))
  }
}

@Suite("Cron: details")
struct CronDetailTests {
  @Test("after resuming, messages name the file's own line numbers")
  func lineNumbers() throws {
    let dir = try TemporaryDirectory()
    let live = dir.path("postgresql.log")
    let state = dir.path("state.json")
    try shell("gzip -dc '\(CronTests.shopLog)' | head -n 20000 > '\(live)'")
    #expect(try pgsift(["analyze", live, "--state", state, "--quiet", "--format", "json"]).status == 0)
    try shell("echo 'not a log line' >> '\(live)'")
    let second = try pgsift(["analyze", live, "--state", state, "--format", "json"])
    #expect(second.status == 2)
    #expect(second.stderr.contains("\(live):20001: line does not match"))
    let report = try second.report()
    #expect(report.input.files.first?.resumedLine == 20_000)
    #expect(report.input.files.first?.lines == 1)
  }

  @Test(
    "a progress line on a terminal, none otherwise",
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a terminal"))
  func progress() throws {
    let dir = try TemporaryDirectory()
    let command = "'\(Paths.binary.path)' analyze '\(CronTests.shopLog)' -o '\(dir.path("r.json"))'"
    let onTerminal = try run("/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"])
    #expect(onTerminal.status == 0)
    #expect(onTerminal.stdout.contains("pgsift: \(CronTests.shopLog): 57021 lines, 100%"))
    let quiet = try run("/usr/bin/script", ["-q", "-e", "-c", command + " --quiet", "/dev/null"])
    #expect(!quiet.stdout.contains("lines, "))
    let plain = try pgsift(["analyze", CronTests.shopLog, "-o", dir.path("r2.json")])
    #expect(!plain.stderr.contains("lines, "))
  }
}

@Suite("Cron: a damaged file with --state")
struct CronDamageTests {
  @Test("what was counted before a corrupt stretch is not counted again on the next run")
  func corruptThenResume() throws {
    let dir = try TemporaryDirectory()
    let file = dir.path("cut.log.gz")
    let state = dir.path("state.json")
    try shell("head -c 300000 '\(CronTests.shopLog)' > '\(file)'")
    let first = try pgsift(["analyze", file, "--state", state, "--format", "json"])
    #expect(first.status == 2)
    let counted = try first.report().summary.statements
    #expect(counted > 1_000)
    let second = try pgsift(["analyze", file, "--state", state, "--format", "json"])
    #expect(try second.report().summary.statements == 0)
    #expect(try second.report().input.files.first!.resumedAt > 0)
  }
}
