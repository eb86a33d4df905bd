// The lexer cache rule (FINGERPRINTS.md): two statements with the same shape must get the same libpg_query
// fingerprint. Held to it over every statement in the real logs, and over the measured table of variants.
import Fingerprint
import Foundation
import IntegerTables
import LogFormats
import LogInput
import ServerEvents
import Testing

/// Collects the distinct statement texts of a log.
struct StatementCollector: ServerEventSink {
  var texts: Set<String> = []
  mutating func statement(_ event: StatementEvent) { texts.insert(event.text.string) }
  mutating func parameters(_ detail: ByteView, pid: Int32) {}
  mutating func error(_ event: ServerMessage) { if let statement = event.statement { texts.insert(statement) } }
  mutating func message(_ event: ServerMessage) { if let statement = event.statement { texts.insert(statement) } }
  mutating func activity(_ event: ActivityEvent, from origin: EventOrigin) {}
}

func statements(in path: String) throws -> Set<String> {
  let input = try InputFile(path: path)
  let reader = LineReader(source: input.source)
  var lines: [[UInt8]] = []
  while let line = try reader.nextLine() { lines.append(Array(line)) }
  let format = try FormatDetector.detect(Array(lines.prefix(FormatDetector.sampleLines)))
  let prefix = try #require({ if case .stderr(let p) = format { p } else { nil } }())
  var parser = StderrParser(prefix: prefix, file: path)
  var classifier = EventClassifier(downstream: StatementCollector())
  for (index, line) in lines.enumerated() {
    line.withUnsafeBufferPointer { parser.feed($0, lineNumber: index + 1, into: &classifier) }
  }
  parser.finish(into: &classifier)
  classifier.finish()
  return classifier.downstream.texts
}

func fingerprintOrError(_ sql: String) -> String {
  switch PgQuery.fingerprint(sql) {
  case .success(let value): Fingerprint(value: value, source: .libpgQuery).hex
  case .failure: "parse error"
  }
}

func shape(_ sql: String) -> String {
  let fingerprinter = Fingerprinter()
  return Array(sql.utf8).withUnsafeBufferPointer { String(decoding: fingerprinter.shape(of: $0), as: UTF8.self) }
}

@Suite("Lexer cache rule")
struct LexerTests {
  @Test("fingerprints as dictionary keys: one value from libpg_query and from the lexer stays two keys; buckets spread")
  func fingerprintKeys() {
    // Sequential values: the worst case for a table that takes its buckets from the value (a fingerprint is a
    // well-mixed hash, a lexer's id too, but a hostile log could aim at the low bits).
    var keys: [Fingerprint: Int] = [:]
    for value in 0..<UInt64(20_000) {
      keys[Fingerprint(value: value, source: .libpgQuery)] = Int(value)
      keys[Fingerprint(value: value, source: .lexer)] = -Int(value) - 1
    }
    #expect(keys.count == 40_000)
    #expect(keys[Fingerprint(value: 7, source: .libpgQuery)] == 7 && keys[Fingerprint(value: 7, source: .lexer)] == -8)
    // Sequential values spread over a table of their size as random ones would (1 - 1/e of the buckets).
    var buckets = Set<Int>()
    for value in 0..<UInt64(4_096) { buckets.insert(TableHash.bucket(value, seed: 12_345) & 4_095) }
    #expect(buckets.count > 2_400, "\(buckets.count) of 4096 buckets used")
  }

  @Test("same shape => same fingerprint, over every statement of the real logs")
  func corpusProperty() throws {
    var texts: Set<String> = []
    for set in LogSet.all { texts.formUnion(try statements(in: set.file("log"))) }
    for set in LogSet.all {
      let records = try CSVRecords.parse(
        String(contentsOf: set.directory.appendingPathComponent("pg_stat_statements.csv"), encoding: .utf8))
      for record in records.dropFirst() { texts.insert(record[6]) }
    }
    #expect(texts.count > 3_000)
    var byShape: [String: Set<String>] = [:]
    for text in texts { byShape[shape(text), default: []].insert(fingerprintOrError(text)) }
    // The cache must also actually share: far fewer shapes than texts.
    #expect(byShape.count < texts.count / 10)
    for (key, fingerprints) in byShape where fingerprints.count > 1 {
      Issue.record("shape \(key) maps to several fingerprints: \(fingerprints.sorted())")
    }
  }

  static let sameShape: [(String, String)] = [
    ("SELECT * FROM t WHERE id IN (1,2,3)", "select * from t where id in (4)"),
    ("SELECT * FROM t WHERE id IN ($1, $2)", "SELECT * FROM t WHERE id IN (5)"),
    ("SELECT a FROM t WHERE a = 'x'", "select  A\n from T -- note\n where a = 5;"),
    ("SELECT a FROM t WHERE a = 'x'", "SELECT /* c */ a FROM t WHERE a = $1 ;  "),
    ("SELECT a FROM t WHERE a = E'it\\'s'", "SELECT a FROM t WHERE a = $tag$x$tag$"),
    ("SELECT a FROM t WHERE b = B'1010'", "SELECT a FROM t WHERE b = X'1F'"),
    ("SELECT a FROM t WHERE b = U&'d\\0061t'", "SELECT a FROM t WHERE b = 1.5e3"),
    ("INSERT INTO t VALUES (1, 2)", "INSERT INTO t VALUES (1, 2), (3, 4), (5, 6)"),
    ("SELECT ARRAY[1,2]", "SELECT ARRAY[1,2,3]"),
    ("SELECT * FROM t LIMIT 10", "SELECT * FROM t LIMIT 20"),
    ("SELECT * FROM t WHERE x = ANY(ARRAY['a','b'])", "SELECT * FROM t WHERE x = ANY(ARRAY['c'])"),
  ]

  @Test("what the fingerprint ignores, the shape folds", arguments: sameShape.indices)
  func folds(index: Int) {
    let (a, b) = Self.sameShape[index]
    #expect(fingerprintOrError(a) == fingerprintOrError(b), "libpg_query itself treats these alike")
    #expect(shape(a) == shape(b))
  }

  static let differentShape: [(String, String)] = [
    ("SELECT * FROM t o", "SELECT * FROM t p"),
    ("SELECT \"ID\" FROM t", "SELECT id FROM t"),
    ("SELECT * FROM public.customers", "SELECT * FROM customers"),
    ("BEGIN; SELECT 1; COMMIT;", "SELECT 1"),
    ("SELECT 1, 2", "SELECT 1"),
    ("SELECT a <= b FROM t", "SELECT a < b FROM t"),
    ("SELECT current_timestamp(3)", "SELECT current_timestamp(6)"),
    ("SELECT x::float(10) FROM t", "SELECT x::float(30) FROM t"),
    ("COPY t FROM '/tmp/a.csv'", "COPY t FROM '/tmp/b.csv'"),
    (
      "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql",
      "CREATE FUNCTION f() RETURNS int AS $$ SELECT 2 $$ LANGUAGE sql"
    ),
    ("INSERT INTO t VALUES (1, 2)", "INSERT INTO t VALUES (1, 2, 3)"),
    ("SELECT * FROM t WHERE a IN (1, b)", "SELECT * FROM t WHERE a IN (1)"),
  ]

  @Test("what the fingerprint may keep, the shape keeps", arguments: differentShape.indices)
  func keeps(index: Int) {
    let (a, b) = Self.differentShape[index]
    #expect(shape(a) != shape(b))
  }

  @Test("a statement libpg_query cannot parse gets a stable lexer fingerprint, constants folded")
  func fallback() {
    let fingerprinter = Fingerprinter()
    func resolve(_ sql: String) -> ResolvedStatement {
      Array(sql.utf8).withUnsafeBufferPointer { fingerprinter.resolve($0) }
    }
    let a = resolve("SELEC broken syntax 0;")
    let b = resolve("SELEC broken syntax 15")
    let c = resolve("SELECT 0x1F")
    #expect(a.fingerprint.source == .lexer)
    #expect(a.parseError?.contains("syntax error") == true)
    #expect(a.fingerprint == b.fingerprint)
    #expect(c.fingerprint.source == .lexer)
    #expect(a.fingerprint != c.fingerprint)
    #expect(a.fingerprint.hex.count == 16)
    // Stable across runs: FNV-1a of the folded shape, not a seeded hash.
    #expect(Fingerprinter().resolveHex("SELEC broken syntax 0;") == a.fingerprint.hex)
    #expect(Fingerprinter.normalize("SELEC broken 'x' 12") == "SELEC broken $1 $2")
  }

  @Test("libpg_query runs once per shape, not per statement")
  func cacheHits() {
    let fingerprinter = Fingerprinter()
    for id in 0..<1000 {
      _ = Array("SELECT * FROM t WHERE id = \(id) AND x IN (\(id), \(id + 1))".utf8).withUnsafeBufferPointer {
        fingerprinter.resolve($0)
      }
    }
    #expect(fingerprinter.lookups == 1000)
    #expect(fingerprinter.parserCalls == 1)
  }

  @Test("fingerprints print as pg_query_fingerprint does")
  func hexFormat() {
    #expect(fingerprintOrError("SELECT 1") == "50fde20626009aba")
    #expect(Fingerprint(value: 0xab, source: .libpgQuery).hex == "00000000000000ab")
  }
}

extension Fingerprinter {
  func resolveHex(_ sql: String) -> String {
    Array(sql.utf8).withUnsafeBufferPointer { resolve($0).fingerprint.hex }
  }
}
