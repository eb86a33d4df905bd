// The text report laid out for where it goes: columns as wide as their values (totals past 1,000,000 ms never
// run together), the width of COLUMNS, bold titles only on a terminal.
import Foundation
import Testing

@Suite("Text report layout")
struct TextLayoutTests {
  /// The shop log with every duration a thousand times longer (its statements and their order untouched): totals
  /// in the tens of millions of milliseconds. Read from standard input, so the report names no temporary path.
  static func largeDurations(_ dir: TemporaryDirectory) throws -> String {
    let log = dir.path("large.log")
    let shop = Paths.shop.appendingPathComponent("postgresql.log.gz").path
    try shell("zcat '\(shop)' | sed -E 's/duration: ([0-9]+)\\./duration: \\1000./' > '\(log)'")
    return log
  }

  /// The rows of the query tables: a rank, then figures, then a fingerprint.
  static func tableRows(_ text: String) -> [[Substring]] {
    text.split(separator: "\n").map { $0.split(separator: " ") }
      .filter { fields in
        fields.count >= 5 && Int(fields[0]) != nil && fields.last!.count == 16 && fields.last!.allSatisfy(\.isHexDigit)
          && fields.dropFirst().dropLast().allSatisfy { $0.allSatisfy { $0.isNumber || ",.%".contains($0) } }
      }
  }

  @Test("totals past 1,000,000 ms keep every column apart; the layout is the committed one")
  func largeTotals() throws {
    let dir = try TemporaryDirectory()
    let result = try pgsift(["analyze", "-", "--quiet"], stdinFile: try Self.largeDurations(dir))
    #expect(result.status == 0, "\(result.stderr)")
    let rows = Self.tableRows(result.stdout)
    #expect(rows.count >= 20)
    // rank, calls, total, share, mean, p95, max, fingerprint: eight fields, none glued to the next.
    for row in rows { #expect(row.count == 8, "\(row.joined(separator: " "))") }
    #expect(rows.contains { Double($0[2].replacing(",", with: "")) ?? 0 > 1_000_000 })
    let file = GoldenReportTests.golden.appendingPathComponent("large-durations.txt")
    if ProcessInfo.processInfo.environment["PGSIFT_UPDATE_GOLDEN"] == "1" {
      try result.stdout.write(to: file, atomically: true, encoding: .utf8)
    }
    #expect(
      try String(contentsOf: file, encoding: .utf8) == result.stdout,
      "the layout changed; if meant, run PGSIFT_UPDATE_GOLDEN=1 swift test --filter TextLayoutTests")
  }

  @Test("at COLUMNS=80 the query tables fit in 80 columns, dropping the share, max and mean first")
  func eightyColumns() throws {
    let dir = try TemporaryDirectory()
    let log = try Self.largeDurations(dir)
    let narrow = try pgsift(["analyze", "-", "--quiet"], stdinFile: log, environment: ["COLUMNS": "80"])
    let rows = narrow.stdout.split(separator: "\n")
    let tables = rows.filter { Self.tableRows(String($0)).count == 1 || $0.hasSuffix("  fingerprint") }
    #expect(!tables.isEmpty)
    for line in tables { #expect(line.count <= 80, "\(line.count): \(line)") }
    #expect(tables.count >= 20)
    #expect(rows.contains { $0.contains("calls") && $0.contains("p95 ms") && !$0.contains("share") })
    // The statements under each row are clipped to the width too.
    #expect(rows.filter { $0.hasPrefix("        SELECT") }.allSatisfy { $0.count <= 80 })
    // So is every other table and line (the log_line_prefix quoted under Input cannot be broken), the interval
    // table leaving out its total first.
    for line in rows where !line.contains("log_line_prefix '") { #expect(line.count <= 80, "\(line.count): \(line)") }
    let intervals = try #require(rows.firstIndex { $0.hasPrefix("Over time (rows of 5 s)") })
    #expect(rows[intervals + 1].contains("p95 ms") && !rows[intervals + 1].contains("total ms"))
    // Wide: every column.
    let wide = try pgsift(["analyze", "-", "--quiet"], stdinFile: log, environment: ["COLUMNS": "160"])
    #expect(wide.stdout.contains("share") && wide.stdout.contains("max ms"))
  }

  @Test("no escape codes in a pipe or a file, whatever TERM says")
  func noColourInPipes() throws {
    let shop = Paths.shop.appendingPathComponent("postgresql.log.gz").path
    let piped = try pgsift(["analyze", shop, "--quiet"], environment: ["TERM": "xterm-256color"])
    #expect(!piped.stdout.contains("\u{1B}["))
  }

  static let hasScript = FileManager.default.isExecutableFile(atPath: "/usr/bin/script")

  @Test(
    "on a terminal (a pseudo-terminal made by script(1)) the titles are bold; NO_COLOR turns it off",
    .enabled(if: hasScript, "needs script(1) from util-linux for a pseudo-terminal"))
  func colourOnATerminal() throws {
    let shop = Paths.shop.appendingPathComponent("postgresql.log.gz").path
    func onTerminal(_ environment: String) throws -> String {
      try shell(
        "env -u NO_COLOR \(environment) COLUMNS=100 TERM=xterm script -qec \"'\(Paths.binary.path)' analyze "
          + "'\(shop)' -q\" /dev/null"
      ).stdout
    }
    let bold = try onTerminal("")
    #expect(bold.contains("\u{1B}[1mSummary\u{1B}[0m"), "\(bold.prefix(300))")
    #expect(!(try onTerminal("NO_COLOR=1")).contains("\u{1B}["))
  }
}
