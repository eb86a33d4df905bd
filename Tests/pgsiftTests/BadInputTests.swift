// Bad input through the CLI: each problem gets a message naming the file and line (or byte offset), the run
// goes on with the rest, the report counts what was skipped, and the exit status is 2.
import Foundation
import Reports
import Testing

@Suite("Bad input")
struct BadInputTests {
  static let shopLog = Paths.shop.appendingPathComponent("postgresql.log.gz").path

  @Test("a missing file: message, exit 2, the other files still reported")
  func missingFile() throws {
    let result = try pgsift(["analyze", "/no/such/file.log", Self.shopLog, "--format", "json"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("/no/such/file.log: cannot open: No such file or directory"))
    let report = try result.report()
    #expect(report.summary.statements == 21_875)
    #expect(report.input.problems["unreadable_file"] == 1)
    #expect(report.input.files.first?.error?.contains("No such file") == true)
  }

  @Test("a directory is refused with a message")
  func directory() throws {
    let scratch = try TemporaryDirectory()
    let result = try pgsift(["analyze", scratch.url.path, "--format", "json"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("is a directory"))
  }

  @Test("a corrupt gzip stream: what came before it is kept, the offset is named")
  func corruptGzip() throws {
    let scratch = try TemporaryDirectory()
    let broken = scratch.path("broken.log.gz")
    // Overwrite 64 bytes in the middle of the compressed stream.
    try shell(
      "cp '\(Self.shopLog)' '\(broken)' && printf '%064d' 0 | dd of='\(broken)' bs=1 seek=200000 conv=notrunc status=none"
    )
    let result = try pgsift(["analyze", broken, "--format", "json"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("\(broken):"))
    #expect(result.stderr.contains("corrupt gzip data"))
    #expect(result.stderr.contains("(byte "))
    let report = try result.report()
    #expect(report.summary.statements > 1_000)
    #expect(report.summary.statements < 21_875)
    #expect(report.input.problems["corrupt_compression"] == 1)
  }

  @Test("a truncated gzip file")
  func truncatedGzip() throws {
    let scratch = try TemporaryDirectory()
    let cut = scratch.path("cut.log.gz")
    try shell("head -c 300000 '\(Self.shopLog)' > '\(cut)'")
    let result = try pgsift(["analyze", cut, "--format", "json"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("gzip stream ends early"))
    let report = try result.report()
    #expect(report.summary.statements > 1_000)
    #expect(report.summary.statements < 21_875)
    #expect(report.input.files.first?.error?.contains("read stopped after line") == true)
  }

  @Test("bytes after the last gzip member are reported, not read as log")
  func trailingGarbage() throws {
    let scratch = try TemporaryDirectory()
    let file = scratch.path("trailing.log.gz")
    try shell("cp '\(Self.shopLog)' '\(file)' && printf 'not gzip at all' >> '\(file)'")
    let result = try pgsift(["analyze", file, "--format", "json"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("data after the last gzip member is not gzip"))
    #expect(try result.report().summary.statements == 21_875)
  }

  @Test("a line that fits no format is skipped, counted and named")
  func unrecognizedLine() throws {
    let scratch = try TemporaryDirectory()
    let file = scratch.path("noisy.log")
    try shell("gzip -dc '\(Self.shopLog)' | sed '1000i this line came from somewhere else' > '\(file)'")
    let result = try pgsift(["analyze", file, "--format", "json"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("\(file):1000: line does not match log_line_prefix"))
    let report = try result.report()
    #expect(report.input.skippedLines == 1)
    #expect(report.input.lines == 57_022)
    #expect(report.summary.statements == 21_875)
  }

  @Test("invalid UTF-8 is kept, replaced, and reported")
  func invalidUTF8() throws {
    let scratch = try TemporaryDirectory()
    let file = scratch.path("latin1.log")
    // Line 8 is `create database shop`; make it `create database sh\xF6p` (Latin-1).
    try shell("gzip -dc '\(Self.shopLog)' | sed '8s/database shop/database sh\\xf6p/' > '\(file)'")
    let result = try pgsift(["analyze", file, "--format", "json"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("\(file):8: line is not valid UTF-8"))
    let report = try result.report()
    #expect(report.summary.statements == 21_875)
    #expect(report.input.files.first?.invalidUTF8Lines == 1)
    #expect(report.queries.contains { $0.example?.contains("sh\u{FFFD}p") == true })
  }

  @Test("a malformed csvlog record is skipped with its line")
  func malformedCSV() throws {
    let scratch = try TemporaryDirectory()
    let file = scratch.path("bad.csv")
    try shell(
      "gzip -dc '\(Paths.shop.appendingPathComponent("postgresql.csv.gz").path)' | sed '2i 2026-11-25 04:04:04.000 UTC,only,three' > '\(file)'"
    )
    let result = try pgsift(["analyze", file, "--format", "json"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("\(file):2: csvlog record has 3 fields"))
    let report = try result.report()
    #expect(report.input.skippedLines == 1)
    #expect(report.summary.statements == 21_875)
  }

  @Test("an unterminated quoted csvlog field at the end of the file")
  func unterminatedCSV() throws {
    let scratch = try TemporaryDirectory()
    let file = scratch.path("open.csv")
    try shell(
      "gzip -dc '\(Paths.shop.appendingPathComponent("postgresql.csv.gz").path)' > '\(file)' && printf '2026-11-25 04:05:04.000 UTC,\"postgres,shop\n' >> '\(file)'"
    )
    let result = try pgsift(["analyze", file, "--format", "json"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("unterminated quoted field"))
    #expect(try result.report().summary.statements == 21_875)
  }

  @Test("a broken jsonlog line is skipped with its line and column")
  func malformedJSON() throws {
    let scratch = try TemporaryDirectory()
    let file = scratch.path("bad.json")
    try shell(
      "gzip -dc '\(Paths.shop.appendingPathComponent("postgresql.json.gz").path)' | sed '300s/}$//' > '\(file)'")
    let result = try pgsift(["analyze", file, "--format", "json"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("\(file):300: not a jsonlog object"))
    let report = try result.report()
    #expect(report.input.skippedLines == 1)
  }

  @Test("a file in no known format: every line counted as skipped")
  func unknownFormat() throws {
    let scratch = try TemporaryDirectory()
    let file = scratch.path("notes.txt")
    try shell("printf 'hello\\nworld\\n' > '\(file)'")
    let result = try pgsift(["analyze", file, "--format", "json"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("no line looks like a PostgreSQL log record"))
    #expect(try result.report().input.skippedLines == 2)
  }

  @Test(
    "nothing countable (an empty file, CR-only lines) is exit 2; an empty file beside a log, or with --state, is not")
  func nothingCountable() throws {
    let scratch = try TemporaryDirectory()
    let empty = scratch.path("empty.log")
    try shell(": > '\(empty)'")
    let alone = try pgsift(["analyze", empty, "--format", "json", "--quiet"])
    #expect(alone.status == 2)
    #expect(alone.stderr.contains("empty.log: nothing to analyze: the file is empty"), "\(alone.stderr)")
    #expect(try alone.report().input.problems["nothing_counted"] == 1)
    // A quiet file among others, or a quiet cron run, is no problem.
    let beside = try pgsift(["analyze", empty, Self.shopLog, "--format", "json", "--quiet"])
    #expect(beside.status == 0, "\(beside.stderr)")
    #expect(try beside.report().summary.statements == 21_875)
    let cron = try pgsift(["analyze", empty, "--state", scratch.path("state"), "--format", "json", "--quiet"])
    #expect(cron.status == 0, "\(cron.stderr)")
    // The real log with its newlines turned into carriage returns: one line, named, nothing counted.
    let carriage = scratch.path("cr.log")
    try shell("gzip -dc '\(Self.shopLog)' | tr '\\n' '\\r' > '\(carriage)'")
    let cr = try pgsift(["analyze", carriage, "--format", "json", "--quiet"])
    #expect(cr.status == 2)
    #expect(cr.stderr.contains("cr.log:1: lines end in a carriage return (\\r) alone"), "\(cr.stderr)")
    #expect(cr.stderr.contains("nothing to analyze: no PostgreSQL log record in"))
    let report = try cr.report()
    #expect(report.input.skippedLines == 1)
    #expect(report.summary.statements == 0)
  }

  @Test("a wrong --prefix skips every line and says so")
  func wrongPrefix() throws {
    let result = try pgsift(["analyze", Self.shopLog, "--format", "json", "--prefix", "%m %p "])
    #expect(result.status == 2)
    #expect(result.stderr.contains("line does not match log_line_prefix '%m %p '"))
    #expect(try result.report().input.skippedLines > 50_000)
    // What the lines do look like, named once.
    #expect(
      result.stderr.contains(
        "--prefix '%m %p ' reads 0 of 1820 sampled lines; the log's lines look like "
          + "'%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h '"), "\(result.stderr.prefix(600))")
  }

  @Test(
    "usage errors exit 1",
    arguments: [
      ["analyze"], ["analyze", "x.log", "--threshold", "fast"], ["analyze", "x.log", "--top", "0"],
      ["analyze", "x.log", "--prefix", "%Z"], ["analyze", "x.log", "--log-format", "xml"], ["analyze", "--nope", "x"],
    ])
  func usage(arguments: [String]) throws {
    let result = try pgsift(arguments)
    #expect(result.status == 1, "\(arguments): \(result.stderr)")
    #expect(result.stderr.contains("Usage") || result.stderr.contains("Error"))
    // Told from the root, as `pgsift analyze`, though `analyze …` is first read as analyze's own arguments.
    #expect(result.stderr.contains("Usage: pgsift analyze"), "\(arguments): \(result.stderr)")
  }

  @Test("analyze's help is the root's help for it, whichever way it is asked for")
  func analyzeHelp() throws {
    let root = try pgsift(["help", "analyze"])
    #expect(root.status == 0)
    #expect(root.stdout.contains("USAGE: pgsift analyze [<options>] <file> ..."))
    #expect(root.stdout.contains("--version"))
    for asked in [["analyze", "--help"], ["analyze", "-h"], ["analyze", "x.log", "--help"]] {
      let result = try pgsift(asked)
      #expect(result.status == 0, "\(asked)")
      #expect(result.stdout == root.stdout, "\(asked)")
    }
  }

  @Test("an unwritable --output exits 3")
  func unwritableOutput() throws {
    let result = try pgsift(["analyze", Self.shopLog, "-o", "/no/such/dir/report.json"])
    #expect(result.status == 3)
    #expect(result.stderr.contains("cannot write /no/such/dir/report.json"))
  }
}
