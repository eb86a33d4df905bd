// Helpers for the tests: where the repository and fixtures are, and how to run the built pgsift binary.
import Foundation
import Reports
import Synchronization
import Testing

enum Paths {
  /// The repository root, found from this file's path.
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let fixtures = root.appendingPathComponent("fixtures")
  static let shop = fixtures.appendingPathComponent("shop")

  /// The pgsift binary built beside this test bundle (the test target depends on it).
  static let binary: URL = {
    if let explicit = ProcessInfo.processInfo.environment["PGSIFT_BIN"] { return URL(fileURLWithPath: explicit) }
    var directory = Bundle.main.bundleURL
    for _ in 0..<3 {
      let candidate = directory.appendingPathComponent("pgsift")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      directory = directory.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("pgsift")
  }()
}

struct CLIResult: Sendable {
  var status: Int32
  var stdout: String
  var stderr: String

  func report() throws -> AnalysisReport { try JSONReport.decode(stdout) }
}

/// A scratch directory removed when the value goes away.
final class TemporaryDirectory {
  let url: URL
  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("pgsift-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }
  deinit { try? FileManager.default.removeItem(at: url) }
  func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// Runs an executable with arguments; standard output and error go through files so large outputs cannot block.
/// `whileRunning` is called once the process has started, before waiting for it.
func run(
  _ executable: String, _ arguments: [String], stdinFile: String? = nil, environment: [String: String] = [:],
  whileRunning: ((Process) throws -> Void)? = nil
) throws -> CLIResult {
  let scratch = try TemporaryDirectory()
  let outPath = scratch.path("stdout")
  let errPath = scratch.path("stderr")
  _ = FileManager.default.createFile(atPath: outPath, contents: nil)
  _ = FileManager.default.createFile(atPath: errPath, contents: nil)
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  if !environment.isEmpty {
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
  }
  process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
  process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
  if let stdinFile {
    process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdinFile))
  } else {
    process.standardInput = FileHandle.nullDevice
  }
  try process.run()
  defer { if process.isRunning { process.terminate() } }
  try whileRunning?(process)
  process.waitUntilExit()
  return CLIResult(
    status: process.terminationStatus,
    stdout: String(decoding: try Data(contentsOf: URL(fileURLWithPath: outPath)), as: UTF8.self),
    stderr: String(decoding: try Data(contentsOf: URL(fileURLWithPath: errPath)), as: UTF8.self))
}

func pgsift(
  _ arguments: [String], stdinFile: String? = nil, environment: [String: String] = [:],
  whileRunning: ((Process) throws -> Void)? = nil
) throws -> CLIResult {
  guard stdinFile == nil, environment.isEmpty, whileRunning == nil, SharedRuns.shareable(arguments) else {
    return try run(
      Paths.binary.path, arguments, stdinFile: stdinFile, environment: environment, whileRunning: whileRunning)
  }
  return try SharedRuns.result(of: arguments) { try run(Paths.binary.path, arguments) }
}

/// Runs of pgsift that only read bundled fixtures and write nothing but their output: the same arguments give the
/// same result, so each is run once and shared by every test that asks (many tests read the same fixture's JSON).
enum SharedRuns {
  private static let results = Mutex<[[String]: CLIResult]>([:])

  /// Whether the run reads fixtures only and writes no file.
  static func shareable(_ arguments: [String]) -> Bool {
    let writes: Set<String> = ["-o", "--output", "--state", "--save-state", "--gate-output", "--dsn"]
    let fixtures = Paths.fixtures.path + "/"
    return arguments.contains { $0.hasPrefix(fixtures) } && !arguments.contains(where: writes.contains)
      && arguments.allSatisfy { !$0.hasPrefix("/") || $0.hasPrefix(fixtures) }
  }

  static func result(of arguments: [String], _ make: () throws -> CLIResult) throws -> CLIResult {
    if let done = results.withLock({ $0[arguments] }) { return done }
    let result = try make()
    results.withLock { $0[arguments] = result }
    return result
  }
}

/// Runs a shell pipeline (for gzip, head and the like when making damaged inputs).
@discardableResult
func shell(_ script: String) throws -> CLIResult {
  let result = try run("/bin/sh", ["-c", script])
  if result.status != 0 { Issue.record("shell failed (\(result.status)): \(script)\n\(result.stderr)") }
  return result
}

/// How many lines of what a shell command prints match an extended regular expression, as grep counts them:
/// the independent count tests hold pgsift's figures to.
func grepCount(_ pattern: String, in command: String) throws -> Int {
  let output = try shell("\(command) | grep -c -E '\(pattern)' || true").stdout
  return try #require(Int(output.trimmingCharacters(in: .whitespacesAndNewlines)), "grep printed \(output)")
}

/// Fingerprint -> (calls, total ms rounded to the microsecond), the figures every format must agree on.
func callsAndTotals(_ report: AnalysisReport) -> [String: [Double]] {
  var result: [String: [Double]] = [:]
  for query in report.queries {
    result[query.fingerprint] = [Double(query.calls), (query.totalMs * 1000).rounded() / 1000]
  }
  return result
}

/// The real logs kept in fixtures/: one server run each, with the pg_stat_statements taken from that run.
struct LogSet: CustomTestStringConvertible, Sendable {
  var name: String
  var directory: URL
  var testDescription: String { name }

  static let all: [LogSet] = [
    "shop", "debian-prefix", "colon-prefix", "epoch-prefix", "cloudsql-prefix", "azure-prefix",
  ].map {
    LogSet(name: $0, directory: Paths.fixtures.appendingPathComponent($0))
  }

  func file(_ format: String) -> String { directory.appendingPathComponent("postgresql.\(format).gz").path }
}
