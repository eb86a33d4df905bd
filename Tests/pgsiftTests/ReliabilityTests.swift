// Unattended runs that must never lose or double-count (issue 17): the --state file moves only once every output
// is written, one run at a time holds it, each input is read once, cuts of a log give the advice the whole does,
// saved parts are checked before they are added, --redact covers the saved state, modes are kept, and control
// characters from the log never reach a terminal. Counts are held to grep on the real logs in fixtures/.
import Foundation
import Reports
import Testing

@Suite("Reliability: never lose, never double-count")
struct ReliabilityTests {
  static let shopLog = Paths.shop.appendingPathComponent("postgresql.log.gz").path
  static let ormLog = Paths.fixtures.appendingPathComponent("orm/postgresql.log.gz").path
  static let secretsLog = Paths.fixtures.appendingPathComponent("secrets/postgresql.log.gz").path

  /// Duration records in the shop log, as grep counts them (every one a statement pgsift counts).
  static func shopStatements() throws -> Int {
    try grepCount("LOG:  duration: [0-9.]+ ms  (statement|execute)", in: "gzip -dc '\(shopLog)'")
  }

  func statements(_ result: CLIResult) throws -> Int { try result.report().summary.statements }

  @Test("a report that cannot be written leaves the state where it was; the next good run counts every statement once")
  func failedWriteKeepsState() throws {
    let dir = try TemporaryDirectory()
    let state = dir.path("state.json")
    let expected = try Self.shopStatements()
    #expect(expected == 21_875)
    // A full disk, then a folder that does not exist (%D expands to 12/01/26, slashes and all).
    for output in ["/dev/full", dir.path("reports/%D.json")] {
      let failed = try pgsift(["analyze", Self.shopLog, "--state", state, "--format", "json", "-o", output])
      #expect(failed.status == 3, "\(failed.stderr)")
      #expect(failed.stderr.contains("cannot write"), "\(failed.stderr)")
      #expect(!FileManager.default.fileExists(atPath: state), "the state moved on without a report")
    }
    // The gate's output failing too keeps the state.
    _ = try pgsift(["analyze", Self.shopLog, "-q", "-o", dir.path("baseline.json")])
    let gate = try pgsift([
      "analyze", Self.shopLog, "--state", state, "--format", "json", "-o", dir.path("r.json"), "--baseline",
      dir.path("baseline.json"), "--gate-output", "/dev/full",
    ])
    #expect(gate.status != 0)
    #expect(!FileManager.default.fileExists(atPath: state))
    let good = try pgsift(["analyze", Self.shopLog, "--state", state, "--format", "json", "--quiet"])
    #expect(good.status == 0, "\(good.stderr)")
    #expect(try statements(good) == expected)
    let again = try pgsift(["analyze", Self.shopLog, "--state", state, "--format", "json", "--quiet"])
    #expect(try statements(again) == 0)
    // No temporary file is left beside the outputs.
    let left = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.contains(".pgsift-") }
    #expect(left.isEmpty, "\(left)")
  }

  @Test("two runs at once on one --state: the second waits, and each statement is counted once in all")
  func concurrentRuns() throws {
    let dir = try TemporaryDirectory()
    let state = dir.path("state.json")
    let log = dir.path("postgresql.log")
    try shell("gzip -dc '\(Self.shopLog)' > '\(log)'")
    var second: CLIResult?
    let first = try pgsift(["analyze", log, "--state", state, "--format", "json"]) { _ in
      second = try pgsift(["analyze", log, "--state", state, "--format", "json"])
    }
    let other = try #require(second)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(other.status == 0, "\(other.stderr)")
    #expect(try statements(first) + statements(other) == Self.shopStatements())
    // A lock held elsewhere, and no time to wait: the run refuses and counts nothing.
    let refused = try shell(
      "flock '\(state).lock' sleep 4 & sleep 0.5; '\(Paths.binary.path)' analyze '\(log)' --state '\(state)' "
        + "--state-wait 1 --format json; echo \"status=$?\"; wait")
    #expect(refused.stdout.contains("status=2"), "\(refused.stdout)\(refused.stderr)")
    #expect(refused.stderr.contains("is held by another pgsift run"), "\(refused.stderr)")
  }

  @Test("a file given twice, through a link or as a copy, is read once; merge refuses a part it already has")
  func eachInputOnce() throws {
    let dir = try TemporaryDirectory()
    let log = dir.path("a.log")
    try shell(
      "gzip -dc '\(Self.shopLog)' > '\(log)' && ln -s a.log '\(dir.path("link.log"))' && cp '\(log)' '\(dir.path("copy.log"))'"
    )
    let result = try pgsift([
      "analyze", log, log, dir.path("link.log"), dir.path("copy.log"), "--format", "json",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try result.report()
    #expect(report.summary.statements == (try Self.shopStatements()))
    #expect(report.input.files.count == 4)
    #expect(report.input.files.dropFirst().allSatisfy { $0.duplicateOf == log && $0.lines == 0 })
    #expect(result.stderr.contains("link.log: the same file as \(log)"))
    #expect(result.stderr.contains("copy.log: a copy of \(log)"))
    let part = dir.path("x.state")
    _ = try pgsift(["analyze", log, "--save-state", part, "--quiet", "-o", "/dev/null"])
    let twice = try pgsift(["merge", part, part, "--format", "json"])
    #expect(twice.status == 2)
    #expect(twice.stderr.contains("merging would count them twice"), "\(twice.stderr)")
  }

  /// The app advice of a report, as JSON text, to compare whole and cut.
  func advice(_ result: CLIResult) throws -> String {
    #expect(result.status == 0, "\(result.stderr)")
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(try result.report().appAdvice), as: UTF8.self)
  }

  @Test(
    "a log cut in two (rotation, two parts merged, two --state runs merged) gives the advice of the whole",
    arguments: [1_500, 3_000, 5_000])
  func cutsGiveTheWholeAdvice(line: Int) throws {
    let dir = try TemporaryDirectory()
    let d = dir.url.path
    try shell(
      "cd '\(d)' && gzip -dc '\(Self.ormLog)' > all.log && head -n \(line) all.log > a.log && tail -n +\(line + 1) all.log > b.log"
    )
    let whole = try advice(try pgsift(["analyze", dir.path("all.log"), "--format", "json", "--quiet"]))
    #expect(whole.contains("\"n_plus_one\"") && whole.contains("\"connection_churn\""))
    let rotated = try pgsift(["analyze", dir.path("a.log"), dir.path("b.log"), "--format", "json", "--quiet"])
    #expect(try advice(rotated) == whole)
    for name in ["a", "b"] {
      _ = try pgsift([
        "analyze", dir.path("\(name).log"), "--save-state", dir.path("\(name).part"), "-q", "-o", "/dev/null",
      ])
      _ = try pgsift([
        "analyze", dir.path("\(name).log"), "--state", dir.path("cron.state"), "--save-state",
        dir.path("\(name).cron"), "-q", "-o", "/dev/null",
      ])
    }
    let parts = try pgsift(["merge", dir.path("a.part"), dir.path("b.part"), "--format", "json", "--quiet"])
    #expect(try advice(parts) == whole)
    let chained = try pgsift(["merge", dir.path("a.cron"), dir.path("b.cron"), "--format", "json", "--quiet"])
    #expect(try advice(chained) == whole)
  }

  /// Writes `part`: `source` with one change made by a Python statement on `p` (the part's JSON; `q` is its first
  /// query).
  func craft(_ source: String, _ part: String, _ change: String) throws {
    let script = part + ".py"
    try """
    import json, sys
    p = json.load(open(sys.argv[1]))
    q = p["aggregate"]["queries"][0]
    \(change)
    json.dump(p, open(sys.argv[2], "w"))
    """.write(toFile: script, atomically: true, encoding: .utf8)
    try shell("python3 '\(script)' '\(source)' '\(part)'")
  }

  @Test("crafted parts (overflow, bad intervals, bad ids, truncation, a huge file) exit 2 within seconds, named")
  func craftedParts() throws {
    let dir = try TemporaryDirectory()
    let good = dir.path("good.state")
    _ = try pgsift(["analyze", Self.ormLog, "--save-state", good, "-q", "-o", "/dev/null"])
    let cases: [(String, String, String)] = [
      ("overflow", "q['calls'] = 2**62", "queries[0].calls is 4611686018427387904"),
      ("sum", "q['totalUs'] = 2**63 - 1", "queries[0].total_us is 9223372036854775807"),
      ("negative", "q['calls'] = -5", "queries[0].calls is -5"),
      ("interval", "q['activity']['intervalMs'] = 0", "queries[0].activity is an interval of 0 ms"),
      ("series", "p['aggregate']['time_series']['baseMs'] = -1000", "time_series is an interval"),
      ("name", "q['applications']['ids'] = [99999]", "queries[0].applications is name id 99999"),
      ("position", "q['examplePosition'] = 10**15", "queries[0].example_position is 1000000000000000"),
      ("version", "p['pgsift_state'] = 99", "saved by a pgsift with state format 99"),
      ("summary", "p['aggregate']['summary']['timedStatements'] = -1", "summary.timed_statements is -1"),
      ("folded", "p['aggregate']['folded']['calls'] = -3", "folded.calls is -3"),
    ]
    for (name, change, message) in cases {
      let part = dir.path("\(name).state")
      try craft(good, part, change)
      let started = Date()
      let result = try pgsift(["merge", good, part, "--format", "json"])
      #expect(result.status == 2, "\(name): \(result.stderr)")
      #expect(result.stderr.contains("\(name).state: "), "\(name): \(result.stderr)")
      #expect(result.stderr.contains(message), "\(name): \(result.stderr)")
      #expect(Date().timeIntervalSince(started) < 10)
    }
    try shell("head -c 20000 '\(good)' > '\(dir.path("cut.state"))' && truncate -s 600M '\(dir.path("huge.state"))'")
    let cut = try pgsift(["merge", good, dir.path("cut.state")])
    #expect(cut.status == 2)
    #expect(cut.stderr.contains("cut.state: not a pgsift --save-state file"), "\(cut.stderr)")
    let started = Date()
    let huge = try pgsift(["merge", dir.path("huge.state"), good])
    #expect(huge.status == 2)
    #expect(huge.stderr.contains("huge.state: is 600 MiB, more than the 512 MiB"), "\(huge.stderr)")
    #expect(Date().timeIntervalSince(started) < 10)
  }

  /// Values planted in the secrets fixture's statements and messages (fixtures/secrets/planted.py).
  static let planted = [
    "Hunter2-planted", "alice.planted", "planted-suffix", "SKU-PLANTED", "planted-title", "planted-red",
  ]

  @Test("--redact covers every output: report, saved state, a merge of redacted parts; none holds a planted value")
  func redactionCoversSavedState() throws {
    let dir = try TemporaryDirectory()
    for value in Self.planted {
      #expect(try grepCount(value, in: "gzip -dc '\(Self.secretsLog)'") >= 20, "\(value) is not in the log")
    }
    let part = dir.path("redacted.state")
    for (format, output) in [("json", "r.json"), ("text", "r.txt"), ("html", "r.html")] {
      let result = try pgsift([
        "analyze", Self.secretsLog, "--redact", "--save-state", part, "--format", format, "-o", dir.path(output),
      ])
      #expect(result.status == 0, "\(result.stderr)")
    }
    let merged = try pgsift(["merge", part, "--redact", "--format", "json", "-o", dir.path("m.json")])
    #expect(merged.status == 0, "\(merged.stderr)")
    for file in ["r.json", "r.txt", "r.html", "redacted.state", "m.json"] {
      let bytes = try String(contentsOfFile: dir.path(file), encoding: .utf8)
      for value in Self.planted { #expect(!bytes.contains(value), "\(file) holds \(value)") }
    }
    // Nor hashes of the constants, which a guess could match.
    #expect(!(try String(contentsOfFile: part, encoding: .utf8)).contains("constancy"))
    // The redacted part still counts every statement the log has.
    let statements = try grepCount(
      "LOG:  duration: [0-9.]+ ms  (statement|execute)", in: "gzip -dc '\(Self.secretsLog)'")
    #expect(
      try JSONReport.decode(String(contentsOfFile: dir.path("m.json"), encoding: .utf8)).summary.statements
        == statements)
    // Without --redact the values are there: the check above can fail.
    _ = try pgsift(["analyze", Self.secretsLog, "--save-state", dir.path("plain.state"), "-q", "-o", "/dev/null"])
    #expect(try String(contentsOfFile: dir.path("plain.state"), encoding: .utf8).contains("Hunter2-planted"))
    #expect(try String(contentsOfFile: dir.path("plain.state"), encoding: .utf8).contains("constancy"))
  }

  @Test("outputs keep an existing file's mode; new ones follow the umask")
  func modesKept() throws {
    let dir = try TemporaryDirectory()
    let report = dir.path("report.json")
    let state = dir.path("state.json")
    let part = dir.path("part.state")
    let command =
      "umask 027; '\(Paths.binary.path)' analyze '\(Self.ormLog)' -q -o '\(report)' --state '\(state)' --save-state '\(part)'"
    try shell(command)
    func mode(_ path: String) throws -> Int {
      try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }
    for path in [report, state, part] { #expect(try mode(path) == 0o640, "\(path)") }
    for path in [report, state, part] {
      try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }
    try shell(command)
    for path in [report, state, part] { #expect(try mode(path) == 0o600, "\(path)") }
  }

  @Test("control characters from the log are shown as escapes in the text report and messages, never sent raw")
  func escapesNotSent() throws {
    let errors = try grepCount(
      "ERROR:  invalid input syntax for type (integer|date): \".*\u{1B}", in: "gzip -dc '\(Self.secretsLog)'")
    #expect(errors == 40)
    let result = try pgsift(["analyze", Self.secretsLog, "--format", "text"])
    #expect(result.status == 0)
    let bytes = Array(result.stdout.utf8)
    #expect(!bytes.contains(0x1B) && !bytes.contains(0x07))
    #expect(result.stdout.contains(#"\x1B[NJ\x1B]N;planted-title-N\x07"#))
    #expect(result.stdout.contains(#"\x1B[Nmplanted-red-N\x1B[Nm"#))
    // JSON keeps the text as it was (JSON escapes it), for tools that read it.
    let json = try pgsift(["analyze", Self.secretsLog, "--format", "json"])
    #expect(try json.report().errors.contains { $0.message.contains("\u{1B}[NJ") })
  }

  @Test("a --dsn password never appears in a message or a report, even when libpq echoes the URI")
  func dsnPasswordMasked() throws {
    let dir = try TemporaryDirectory()
    for dsn in [
      "postgresql://bob:S3cretPw@[::1", "postgresql://bob:S3cret%50w@[::1", "host=/nowhere password='S3cretPw",
      "postgresql:///shop?password=S3cretPw&host=/nowhere",
    ] {
      let result = try pgsift([
        "analyze", Self.ormLog, "--dsn", dsn, "--format", "json", "-o", dir.path("r.json"), "--save-state",
        dir.path("s.state"),
      ])
      #expect(result.stderr.contains("--dsn: cannot connect"), "\(result.stderr)")
      for file in ["r.json", "s.state"] {
        #expect(!(try String(contentsOfFile: dir.path(file), encoding: .utf8)).contains("S3cret"))
      }
      #expect(!result.stderr.contains("S3cret"), "\(result.stderr)")
      #expect(!result.stderr.contains("S3cretP"), "\(result.stderr)")
    }
  }

  @Test("the gate never passes on a run that read nothing")
  func gateOnNothing() throws {
    let dir = try TemporaryDirectory()
    let empty = dir.path("empty.log")
    try shell(": > '\(empty)'")
    let baseline = dir.path("baseline.json")
    _ = try pgsift(["analyze", Self.ormLog, "-q", "-o", baseline])
    let gate = try pgsift(["analyze", empty, "--baseline", baseline, "--gate-output", dir.path("gate.json")])
    #expect(gate.status == 2)
    let verdict = try String(contentsOfFile: dir.path("gate.json"), encoding: .utf8)
    #expect(verdict.contains("\"verdict\" : \"fail\"") || verdict.contains("\"verdict\":\"fail\""), "\(verdict)")
    _ = try pgsift(["analyze", empty, "-q", "-o", dir.path("empty.json")])
    let compare = try pgsift(["compare", baseline, dir.path("empty.json")])
    #expect(compare.status == 1)
    #expect(compare.stdout.contains("the current run read no log record"), "\(compare.stdout)")
  }
}
