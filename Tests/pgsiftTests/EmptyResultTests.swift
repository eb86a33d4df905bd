// Reports that come out empty say why (issue 19): nothing could be read, nothing new since the last run,
// every record outside the time window; only when none of these holds do they point at the server's
// log_min_duration_statement. And the smaller CLI details: interval units, a mistyped command, sizes in MiB.
import Foundation
import Reports
import Testing

@Suite("Empty results explained, CLI details")
struct EmptyResultTests {
  static let shopLog = Paths.shop.appendingPathComponent("postgresql.log.gz").path

  @Test("a missing file, nothing new under --state, a window outside the log: each empty report says which")
  func explained() throws {
    let dir = try TemporaryDirectory()
    let missing = dir.path("gone.log")
    let none = try pgsift(["analyze", missing])
    #expect(none.status == 2)
    #expect(none.stdout.contains("Nothing was read: \(missing): cannot open: No such file or directory."))
    #expect(!none.stdout.contains("log_min_duration_statement"))
    #expect(none.stderr.contains("nothing to analyze: the file could not be read"), "\(none.stderr)")

    let state = dir.path("state.json")
    #expect(try pgsift(["analyze", Self.shopLog, "--state", state, "-q", "-o", "/dev/null"]).status == 0)
    let again = try pgsift(["analyze", Self.shopLog, "--state", state, "-q"])
    #expect(again.status == 0)
    #expect(again.stdout.contains("Nothing new since the last run (--state)"))
    #expect(again.stdout.contains("postgresql.log.gz: stderr, log_line_prefix"), "the file is not 'unreadable'")
    #expect(!again.stdout.contains("unreadable"))

    // The shop log ends on 2026-11-25: the last hour before now holds none of it.
    let records = try pgsift(["analyze", Self.shopLog, "--format", "json", "-q"]).report().input.entries
    let outside = try pgsift(["analyze", Self.shopLog, "--last", "1h", "-q"])
    #expect(outside.stdout.contains("Every record (\(records)) is outside the time window"), "\(outside.stdout)")
    #expect(!outside.stdout.contains("log_min_duration_statement"))
  }

  @Test("--interval takes 5m, 1h and 1d; a mistyped command is named; sizes are MiB")
  func details() throws {
    for (given, seconds) in [("5m", 300.0), ("1h", 3600.0), ("1d", 86_400.0), ("90s", 90.0)] {
      let report = try pgsift(["analyze", Self.shopLog, "--format", "json", "-q", "--interval", given]).report()
      #expect(report.timeSeries?.intervalSeconds == seconds, "\(given)")
    }
    let typo = try pgsift(["anaylze", Self.shopLog])
    #expect(typo.status == 1)
    #expect(typo.stderr.contains("Unknown command 'anaylze'; did you mean 'analyze'?"), "\(typo.stderr)")
    // A file that happens to be named like a command is read.
    let dir = try TemporaryDirectory()
    try shell("gzip -dc '\(Self.shopLog)' > '\(dir.path("merg"))'")
    let named = try pgsift(["analyze", dir.path("merg"), "-q", "--format", "json"])
    #expect(named.status == 0)
    let text = try pgsift(["analyze", Self.shopLog, "-q"]).stdout
    #expect(text.contains(" MiB"))
    #expect(!text.contains(" MB ") && !text.contains(" MB)") && !text.contains(" MB,"))
  }
}
