// Unit tests of the format stage: prefixes, timestamps, statement messages, csvlog and jsonlog records.
import Foundation
import LogFormats
import LogInput
import ServerEvents
import Testing

/// Collects what a parser hands out, as strings.
struct EntryRecorder: LogEntrySink {
  struct Seen: Equatable {
    var severity: Severity
    var pid: Int32
    var user, database, application, message: String
    var statement: String?
    var detail: String?
    var line: Int
    var epochMs: Int64?
  }
  var seen: [Seen] = []
  mutating func consume(_ e: LogEntry) {
    seen.append(
      Seen(
        severity: e.severity, pid: e.pid, user: e.user.string, database: e.database.string,
        application: e.application.string, message: e.message.string, statement: e.statement?.string,
        detail: e.detail?.string, line: e.lineNumber, epochMs: e.time?.epochMs))
  }
}

func feed<P: LogParser>(_ parser: inout P, _ text: String) -> [EntryRecorder.Seen] {
  var recorder = EntryRecorder()
  for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
    Array(line.utf8).withUnsafeBufferPointer { parser.feed($0, lineNumber: index + 1, into: &recorder) }
  }
  parser.finish(into: &recorder)
  return recorder.seen
}

@Suite("Log formats")
struct LogFormatTests {
  @Test("log_line_prefix: fields are read, %q stops background lines")
  func prefixMatch() throws {
    let prefix = try LinePrefix("%m [%p] %q%u@%d app=%a ")
    var parser = StderrParser(prefix: prefix, file: "t")
    let seen = feed(
      &parser,
      """
      2026-01-02 03:04:05.678 UTC [42] alice@shop app=my app LOG:  duration: 1.5 ms  statement: SELECT 1
      \tFROM t
      2026-01-02 03:04:06.000 UTC [7] LOG:  checkpoint starting: time
      """)
    #expect(seen.count == 2)
    #expect(
      seen[0].pid == 42 && seen[0].user == "alice" && seen[0].database == "shop" && seen[0].application == "my app")
    #expect(seen[0].message == "duration: 1.5 ms  statement: SELECT 1\nFROM t")
    #expect(seen[0].epochMs == 1_767_323_045_678)
    #expect(seen[1].pid == 7 && seen[1].user.isEmpty)
    #expect(parser.counts.lines == 3 && parser.counts.entries == 2 && parser.counts.skippedLines == 0)
  }

  @Test("log_line_prefix syntax errors are explained")
  func prefixErrors() {
    #expect(throws: PrefixSyntaxError.self) { try LinePrefix("%t %Z ") }
    #expect(throws: PrefixSyntaxError.self) { try LinePrefix("%t %") }
    #expect(throws: PrefixSyntaxError.self) { try LinePrefix("%-10u ") }
    #expect((try? LinePrefix("100%% %p ")) != nil)
  }

  static let prefixes: [(String, String)] = [
    (
      "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
      "2026-11-25 04:03:57 UTC [16400]: [3-1] user=postgres,db=shop,app=psql,client=[local] LOG:  x"
    ),
    ("%m [%p] %q%u@%d ", "2026-11-25 04:03:57.109 UTC [16400] postgres@shop LOG:  x"),
    ("%t:%r:%u@%d:[%p]: ", "2026-11-25 04:03:57 UTC:127.0.0.1(5432):postgres@shop:[16400]: LOG:  x"),
    ("%n %c %l %e [%a] %q%u@%d ", "1795595039.803 6b069b1f.4010 3 00000 [psql] postgres@shop LOG:  x"),
    ("%m [%p] ", "2026-11-25 04:03:57.109 CET [16400] ERROR:  x"),
    ("%t [%p-%l] db=%d,user=%u ", "2026-11-25 04:03:57 +0530 [16400-9] db=shop,user=postgres STATEMENT:  x"),
    ("< %m > ", "< 2026-11-25 04:03:57.109 UTC > LOG:  x"),
    ("%t-%c-", "2026-11-25 04:03:57 UTC-6b065e2d.4010-LOG:  x"),
    (
      "%m [%p] %q[user=%u,db=%d,app=%a] ",
      "2026-11-25 04:03:57.109 UTC [16400] [user=postgres,db=shop,app=psql] LOG:  x"
    ),
    ("[%p] %m %u@%d ", "[16400] 2026-11-25 04:03:57.109 UTC postgres@shop LOG:  x"),
  ]

  @Test("the prefix is detected from lines", arguments: prefixes.indices)
  func detect(index: Int) throws {
    let (configured, line) = Self.prefixes[index]
    let lines = [Array(line.utf8)]
    let found = try #require(PrefixDetector.detect(lines))
    #expect(found.matched == 1)
    let expected = try LinePrefix(configured)
    let a = try #require(lines[0].withUnsafeBufferPointer { expected.match($0) })
    let b = try #require(lines[0].withUnsafeBufferPointer { found.prefix.match($0) })
    #expect(a.pid == b.pid && a.user == b.user && a.database == b.database && a.time == b.time)
    if configured.contains("%p") || configured.contains("%c") { #expect(b.pid == 16400, "pid from %p or from %c") }
  }

  @Test("timestamps: zones, fractions and %n")
  func timestamps() throws {
    func parse(_ s: String) -> Int64? {
      Array(s.utf8).withUnsafeBufferPointer { LogTimestamp.parse($0, at: 0)?.time.epochMs }
    }
    #expect(parse("1970-01-01 00:00:00 UTC") == 0)
    #expect(parse("2026-11-25 04:03:57.109 UTC") == 1_795_579_437_109)
    #expect(parse("2026-11-25 05:03:57.109 CET") == 1_795_579_437_109)
    #expect(parse("2026-11-25 09:33:57.109 +0530") == 1_795_579_437_109)
    #expect(parse("2026-11-24 23:03:57.109 -05") == 1_795_579_437_109)
    #expect(parse("2026-13-25 04:03:57 UTC") == nil)
    #expect(LogTime(epochMs: 1_795_579_437_109).iso8601 == "2026-11-25T04:03:57.109Z")
    let unknown = Array("2026-11-25 04:03:57 XYZT".utf8).withUnsafeBufferPointer { LogTimestamp.parse($0, at: 0) }
    #expect(unknown?.zoneKnown == false)
    let epoch = Array("1795579437.109".utf8).withUnsafeBufferPointer { LogTimestamp.parseEpoch($0, at: 0) }
    #expect(epoch?.time.epochMs == 1_795_579_437_109)
  }

  @Test("a timestamp read in the minute of the one before reads the same as on its own")
  func timestampMemo() {
    var memo = LogTimestamp.Memo()
    func both(_ s: String) -> (Int64?, Int64?) {
      Array(s.utf8).withUnsafeBufferPointer { bytes in
        let alone = LogTimestamp.parse(bytes, at: 0)?.time.epochMs
        let remembered = withUnsafeMutablePointer(to: &memo) {
          LogTimestamp.parse(bytes, at: 0, memo: $0)?.time.epochMs
        }
        return (alone, remembered)
      }
    }
    // Across a minute, a day and a year, back in time, into a zone, and a line whose seconds are broken after
    // a minute the memo holds.
    let stamps = [
      "2026-12-31 23:59:58 UTC", "2026-12-31 23:59:59.999 UTC", "2027-01-01 00:00:00 UTC", "2026-12-31 23:59:30 UTC",
      "2026-12-31 23:59:31 CET", "2026-12-31 23:59:3x UTC", "2026-12-31 23:59:32 UTC", "2026-12-31T23:59:33 UTC",
      "2026-12-31 23:60:00 UTC",
    ]
    for stamp in stamps {
      let (alone, remembered) = both(stamp)
      #expect(alone == remembered, "\(stamp)")
    }
    #expect(both("2026-12-31 23:59:3x UTC").0 == nil)
  }

  @Test("stderr lines matched in order read what each line matched alone reads", arguments: LogSet.all)
  func prefixInOrder(log: LogSet) throws {
    let configured = try String(
      contentsOf: log.directory.appendingPathComponent("log_line_prefix.txt"), encoding: .utf8
    ).trimmingCharacters(in: .newlines)
    let prefix = try LinePrefix(configured)
    let text = try shell("gzip -dc '\(log.file("log"))'").stdout
    var memo = LogTimestamp.Memo()
    var matched = 0
    for line in text.split(separator: "\n") {
      let bytes = Array(line.utf8)
      bytes.withUnsafeBufferPointer { view in
        let alone = prefix.match(view)
        let inOrder = prefix.match(view, memo: &memo)
        #expect((alone == nil) == (inOrder == nil), "\(line)")
        guard let alone, let inOrder else { return }
        matched += 1
        #expect(
          alone.time == inOrder.time && alone.pid == inOrder.pid && alone.user == inOrder.user
            && alone.database == inOrder.database && alone.application == inOrder.application
            && alone.client == inOrder.client && alone.end == inOrder.end && alone.textStart == inOrder.textStart,
          "\(line)")
      }
    }
    #expect(matched > 1000, "the fixture's lines match its prefix")
  }

  @Test("statement messages of every kind")
  func statementMessages() throws {
    func parse(_ s: String) -> (Int64?, StatementStep, String, String)? {
      Array(s.utf8).withUnsafeBufferPointer { view in
        StatementMessage.parse(view).map { ($0.durationUs, $0.step, $0.name.string, $0.text.string) }
      }
    }
    #expect(try #require(parse("duration: 0.387 ms  statement: SELECT 1")) == (387, .simple, "", "SELECT 1"))
    #expect(try #require(parse("duration: 12.5 ms  execute P_0: SELECT $1")) == (12_500, .execute, "P_0", "SELECT $1"))
    #expect(
      try #require(parse("duration: 1.000 ms  execute <unnamed>: SELECT 2")) == (
        1_000, .execute, "<unnamed>", "SELECT 2"
      ))
    #expect(
      try #require(parse("duration: 3 ms  execute fetch from S_1/C_2: SELECT 3")) == (
        3_000, .execute, "S_1/C_2", "SELECT 3"
      ))
    #expect(try #require(parse("duration: 0.010 ms  parse P_1: BEGIN")) == (10, .parse, "P_1", "BEGIN"))
    #expect(try #require(parse("duration: 0.010 ms  bind P_1/C_1: BEGIN")) == (10, .bind, "P_1/C_1", "BEGIN"))
    #expect(try #require(parse("statement: SELECT 1")) == (nil, .simple, "", "SELECT 1"))
    #expect(try #require(parse("execute S_1: SELECT 1")) == (nil, .execute, "S_1", "SELECT 1"))
    #expect(try #require(parse("duration: 2.5 ms")) == (2_500, .simple, "", ""))
    #expect(parse("checkpoint starting: time") == nil)
    #expect(parse("duration: 1.0 ms  plan:\nQuery Text: SELECT 1") == nil)
    #expect(parse("duration: 0.1234567 ms  statement: x")?.0 == 123)
  }

  @Test("csvlog: quoted fields span lines and escape quotes")
  func csvlog() {
    var parser = CsvlogParser(file: "t.csv")
    let seen = feed(
      &parser,
      """
      2026-11-25 04:03:57.248 UTC,"postgres","shop",16400,"[local]",6b065e2d.4010,3,"SELECT",2026-11-25 04:03:57 UTC,3/0,0,LOG,00000,"duration: 31.132 ms  statement: SELECT 'a,""b""'
        FROM t",,,,,,,,,"psql","client backend",,0
      2026-11-25 04:03:58.000 UTC,"postgres","shop",16400,"[local]",6b065e2d.4010,4,"SELECT",2026-11-25 04:03:57 UTC,3/0,0,ERROR,42P01,"relation ""x"" does not exist",,,,,,"SELECT * FROM x",15,,"psql","client backend",,0
      """)
    #expect(seen.count == 2)
    #expect(seen[0].message == "duration: 31.132 ms  statement: SELECT 'a,\"b\"'\n  FROM t")
    #expect(seen[0].application == "psql" && seen[0].pid == 16400 && seen[0].line == 1)
    #expect(seen[1].severity == .error && seen[1].statement == "SELECT * FROM x" && seen[1].line == 3)
    #expect(parser.counts.lines == 3 && parser.counts.entries == 2)
  }

  @Test("jsonlog: escapes, unicode and surrogate pairs")
  func jsonlog() {
    var parser = JsonlogParser(file: "t.json")
    let seen = feed(
      &parser,
      #"""
      {"timestamp":"2026-11-25 04:03:57.248 UTC","user":"postgres","dbname":"shop","pid":16400,"error_severity":"LOG","message":"duration: 1.000 ms  statement: SELECT '\u00fc\ud83d\ude00 \"q\"'\n\tFROM t","application_name":"psql","query_id":0}
      {"timestamp":"2026-11-25 04:03:57.248 UTC","pid":1,"error_severity":"LOG","message":"x","nested":{"a":1}}
      """#)
    #expect(seen.count == 1)
    #expect(seen[0].message == "duration: 1.000 ms  statement: SELECT 'ü😀 \"q\"'\n\tFROM t")
    #expect(seen[0].user == "postgres" && seen[0].application == "psql")
    #expect(parser.counts.skippedLines == 1)
    #expect(parser.diagnostics.kept.first?.message.contains("nested value") == true)
  }

  @Test("format detection")
  func formats() throws {
    func detect(_ line: String) throws -> LogFormat { try FormatDetector.detect([Array(line.utf8)]).format }
    #expect(
      try detect(#"{"timestamp":"2026-11-25 04:03:57.109 UTC","pid":1,"error_severity":"LOG","message":"x"}"#)
        == .jsonlog)
    #expect(
      try detect("2026-11-25 04:03:57.109 UTC,,,16391,,6b065e2d.4007,1,,2026-11-25 04:03:57 UTC,,0,LOG,00000,\"x\"")
        == .csvlog)
    #expect(try detect("2026-11-25 04:03:57 UTC [1]: LOG:  x") == .stderr)
    #expect(throws: DetectionError.self) { try FormatDetector.detect([Array("hello".utf8)]) }
  }
}
