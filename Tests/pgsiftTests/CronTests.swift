// The cron side: --state across appends, rotation (renamed and gzipped) and truncation; time windows; output
// names with strftime patterns; --quiet.
import Foundation
import Reports
import Testing

@Suite("Cron: incremental reading and windows")
struct CronTests {
  static let shopLog = Paths.shop.appendingPathComponent("postgresql.log.gz").path
  static let otherLog = Paths.fixtures.appendingPathComponent("tenants/postgresql.log.gz").path

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
    "a progress bar on a terminal that fits its width and redraws in place; none in a pipe or with --quiet",
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a terminal"))
  func progress() throws {
    let dir = try TemporaryDirectory()
    // A log big enough for several frames: the shop log six times over, gzipped; then another log.
    let big = dir.path("big.log.gz")
    try shell("for i in 1 2 3 4 5 6; do gzip -dc '\(CronTests.shopLog)'; done | gzip -1 > '\(big)'")
    let size = try #require(FileManager.default.attributesOfItem(atPath: big)[.size] as? Int)
    let lines = FilterTests.grouped(try grepCount("", in: "gzip -dc '\(CronTests.otherLog)'"))
    for columns in [100, 60, 40] {
      let command =
        "COLUMNS=\(columns) '\(Paths.binary.path)' analyze '\(big)' '\(CronTests.otherLog)' -o '\(dir.path("r.json"))'"
      let onTerminal = try run("/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"])
      #expect(onTerminal.status == 0)
      // Each frame starts with a carriage return and ends by clearing the rest of the line: no new lines until
      // the bar is cleared (the run's notices come after).
      let bar = try #require(onTerminal.stdout.range(of: "\r\u{1B}[K", options: .backwards))
      let shown = String(onTerminal.stdout[..<bar.lowerBound])
      #expect(!shown.contains("\n"), "\(shown)")
      let frames = shown.split(separator: "\r").map { $0.replacingOccurrences(of: "\u{1B}[K", with: "") }
        .filter { !$0.isEmpty }
      #expect(frames.count >= 2, "\(onTerminal.stdout)")
      for frame in frames { #expect(frame.count < columns, "\(columns): \(frame)") }
      // The last frame: every byte of both files, as stored (the gzipped one by its compressed size).
      let total = Double(
        size + (try #require(FileManager.default.attributesOfItem(atPath: CronTests.otherLog)[.size] as? Int)))
      let mib = total / 1_048_576
      let last = try #require(frames.last)
      #expect(last.hasPrefix("pgsift 100% "), "\(last)")
      #expect(last.contains(String(format: "%.1f/%.1f MiB", mib, mib)), "\(last)")
      if columns == 100 {
        #expect(last.contains(" MiB/s") && last.contains("postgresql.log.gz: \(lines) lines"), "\(last)")
        #expect(frames.contains { $0.contains("[###") && $0.contains("big.log.gz: ") }, "\(frames)")
      }
    }
    let quiet = try run(
      "/usr/bin/script",
      ["-q", "-e", "-c", "'\(Paths.binary.path)' analyze '\(big)' -o '\(dir.path("q.json"))' --quiet", "/dev/null"])
    #expect(!quiet.stdout.contains("pgsift "), "\(quiet.stdout)")
    let plain = try pgsift(["analyze", big, "-o", dir.path("r2.json")])
    #expect(!plain.stderr.contains("MiB"), "\(plain.stderr)")
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
