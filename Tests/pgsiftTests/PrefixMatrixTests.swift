// The prefix matrix (fixtures/prefixes): one real server run per log_line_prefix, each written as stderr and as
// csvlog at once. With the prefix inferred, never given, the stderr log must yield what the csvlog of the same
// run yields: calls per fingerprint, errors, checkpoints, autovacuum, connections, temporary files, and calls
// per database, user and application wherever the prefix prints them.
import Foundation
import LogReading
import Reports
import Testing

@Suite("Prefix inference on the prefix matrix: real logs, one server run a prefix")
struct PrefixMatrixTests {
  struct Row: CustomTestStringConvertible, Sendable {
    var name: String
    var settings: String
    var prefix: String
    var testDescription: String { "\(name) '\(prefix)'" }
  }

  static let directory = Paths.fixtures.appendingPathComponent("prefixes")

  static let rows: [Row] = {
    guard let text = try? String(contentsOf: directory.appendingPathComponent("prefixes.tsv"), encoding: .utf8) else {
      return []
    }
    return text.split(separator: "\n").compactMap { line in
      guard !line.hasPrefix("#") else { return nil }
      let parts = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
      return parts.count == 3 ? Row(name: parts[0], settings: parts[1], prefix: parts[2]) : nil
    }
  }()

  @Test("the matrix has the prefixes the issue names, and more than 30")
  func matrixIsWhole() {
    #expect(Self.rows.count >= 30)
    let prefixes = Set(Self.rows.map(\.prefix))
    for wanted in [
      "%m [%p] ", "%m [%p] %q%u@%d ", "%t:%r:%u@%d:[%p]:", "%t-%c-", "%m [%p]: [%l-1] db=%d,user=%u ",
      "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ", "%m %r %u %d %a %c %v %x ", "%m|%p|%u|%d|%a|",
      "%m [%p] %x %v %u %d ", "%m [%p] %q%u@%d/%a ",
    ] {
      #expect(prefixes.contains(wanted), "\(wanted)")
    }
    // Every escape of PostgreSQL 15's log_line_prefix is in some row.
    for escape in "abcdehilmnpqrstuvxPQ" {
      #expect(prefixes.contains { $0.contains("%\(escape)") }, "%\(escape)")
    }
  }

  @Test("the stderr log with its prefix inferred yields what the csvlog of the same run yields", arguments: rows)
  func stderrMatchesCsvlog(_ row: Row) throws {
    let stderr = try pgsift([
      "analyze", Self.directory.appendingPathComponent("\(row.name).log.gz").path, "--format", "json",
    ])
    #expect(stderr.status == 0, "\(stderr.stderr.prefix(2000))")
    let csv = try pgsift([
      "analyze", Self.directory.appendingPathComponent("\(row.name).csv.gz").path, "--format", "json",
    ])
    #expect(csv.status == 0, "\(csv.stderr.prefix(2000))")
    let inferred = try stderr.report()
    let oracle = try csv.report()
    let file = try #require(inferred.input.files.first)
    #expect(inferred.input.skippedLines == 0)
    #expect(file.prefixInference != nil)
    #expect(inferred.summary.statements == oracle.summary.statements)
    #expect(inferred.summary.statements > 1000)
    #expect(Self.calls(inferred) == Self.calls(oracle))
    #expect(
      Self.errors(inferred, sqlState: row.prefix.contains("%e"))
        == Self.errors(oracle, sqlState: row.prefix.contains("%e")))
    #expect(inferred.summary.errors == oracle.summary.errors)
    #expect(inferred.summary.checkpoints == oracle.summary.checkpoints)
    #expect(inferred.summary.autovacuums == oracle.summary.autovacuums)
    #expect(inferred.summary.autoanalyzes == oracle.summary.autoanalyzes)
    #expect(inferred.summary.connections == oracle.summary.connections)
    #expect(inferred.summary.disconnections == oracle.summary.disconnections)
    #expect(inferred.summary.tempFiles == oracle.summary.tempFiles)
    for (escape, names) in [("%d", \Query.databases), ("%u", \Query.users), ("%a", \Query.applications)]
    where row.prefix.contains(escape) {
      #expect(Self.byName(inferred, names) == Self.byName(oracle, names), "\(escape)")
    }
    // The same fields, spelled alike but where the log cannot tell them apart: %h and %r print the same for a
    // local client, and a %P empty on every line reads as nothing.
    #expect(Self.fields(file.logLinePrefix ?? "") == Self.fields(row.prefix), "inferred '\(file.logLinePrefix ?? "")'")
  }

  /// The `%l` evidence of a report: how many sampled steps counted by one, and of how many.
  static func lineNumberSteps(_ report: AnalysisReport) throws -> (percent: Int, steps: Int) {
    let inference = try #require(report.input.files.first?.prefixInference)
    let line = try #require(inference.evidence.first { $0.hasPrefix("%l: counts each process's lines by one (") })
    let numbers = line.split { !$0.isNumber }.compactMap { Int($0) }
    // Required rather than indexed: a line without its two figures fails this test instead of trapping the run.
    try #require(numbers.count >= 2, "\(line)")
    return (numbers[numbers.count - 2], numbers[numbers.count - 1])
  }

  @Test("line numbers are compared within each sampled stretch: the same process ids further in are not steps")
  func lineStepsWithinStretches() throws {
    // The shop log twice over, as a rotated log appended to a copy of itself would be: the sampled stretches
    // further in see the same process ids at other line numbers. %l counts by one on every line of a process,
    // so within a stretch every step does; a step between stretches is none of the process's.
    let dir = try TemporaryDirectory()
    let doubled = dir.path("doubled.log")
    let shop = Paths.shop.appendingPathComponent("postgresql.log.gz").path
    try shell("gzip -dc '\(shop)' > '\(doubled)'; gzip -dc '\(shop)' >> '\(doubled)'")
    let once = try Self.lineNumberSteps(try pgsift(["analyze", shop, "--format", "json"]).report())
    let result = try pgsift(["analyze", doubled, "--format", "json"])
    #expect(result.status == 0, "\(result.stderr.prefix(1000))")
    let twice = try Self.lineNumberSteps(try result.report())
    #expect(once.percent == 100)
    #expect(twice.percent == 100, "\(twice)")
    // Stretches of both copies were sampled: more steps than in one copy's sample.
    #expect(twice.steps > once.steps, "\(twice) against \(once)")
  }

  @Test("the reports name the inferred prefix, how sure pgsift is, and what chose each field")
  func reportsNameTheInference() throws {
    let log = Self.directory.appendingPathComponent("unknown-labels.log.gz").path
    let text = try pgsift(["analyze", log])
    #expect(text.status == 0)
    #expect(text.stdout.contains("log_line_prefix '%m [%p] appli=%a usr=%u base=%d '"))
    #expect(text.stdout.contains("prefix inferred (certain): reads "))
    let report = try pgsift(["analyze", log, "--format", "json"]).report()
    let inference = try #require(report.input.files.first?.prefixInference)
    #expect(inference.confidence == "certain")
    #expect(inference.matchedRecords == inference.sampledRecords)
    // Labels no dictionary knows: the connection messages named the fields.
    #expect(
      inference.evidence.contains {
        $0.hasPrefix("%a: ") && $0.contains("application_name that connection messages name")
      })
    #expect(
      inference.evidence.contains { $0.hasPrefix("%d: ") && $0.contains("database that connection messages name") })
    let dir = try TemporaryDirectory()
    let html = try pgsift(["analyze", log, "-o", dir.path("r.html")])
    #expect(html.status == 0)
    let page = try String(contentsOfFile: dir.path("r.html"), encoding: .utf8)
    #expect(page.contains("inferred, certain: "))
    // Without connection messages, a field named by its place only is a doubt, and the report says so.
    let quiet = try pgsift(["analyze", Self.directory.appendingPathComponent("user-db-app-quiet.log.gz").path])
    #expect(quiet.stdout.contains("prefix inferred (guessed)") || quiet.stdout.contains("prefix inferred (likely)"))
  }

  static func calls(_ report: AnalysisReport) -> [String: Int] {
    Dictionary(uniqueKeysWithValues: report.queries.map { ($0.fingerprint, $0.calls) })
  }

  static func errors(_ report: AnalysisReport, sqlState: Bool) -> [String: Int] {
    var result: [String: Int] = [:]
    for group in report.errors {
      result["\(group.severity) \(sqlState ? group.sqlState ?? "-" : "") \(group.message)", default: 0] += group.count
    }
    return result
  }

  static func byName(_ report: AnalysisReport, _ names: KeyPath<Query, [NameCount]>) -> [String: Int] {
    var result: [String: Int] = [:]
    for query in report.queries {
      for name in query[keyPath: names] { result[name.name, default: 0] += name.calls }
    }
    return result
  }

  /// The escapes of a prefix, %r read as %h.
  static func fields(_ prefix: String) -> [String] {
    var result: [String] = []
    var characters = prefix[...]
    while let c = characters.popFirst() {
      guard c == "%", let code = characters.popFirst() else { continue }
      if code == "%" { continue }
      result.append(code == "r" ? "%h" : "%\(code)")
    }
    return result
  }
}
