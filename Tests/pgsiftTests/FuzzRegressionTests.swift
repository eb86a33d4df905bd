// Every input the fuzz targets in fuzz/ found to crash, hang or blow up is kept in fuzz/regressions/TARGET/ and
// replayed here through `pgsift analyze`, the way that target fed it to the code: a log in the format its
// first byte chose, a statement inside a log line, compressed bytes in a file, a cloud provider's export; and
// the lines counted must add up, as the targets check. Each run must end with a report
// (exit status 0, or 2 for damaged input), never a crash.
import Foundation
import Reports
import Testing

@Suite("Fuzz regressions")
struct FuzzRegressionTests {
  static let folder = Paths.root.appendingPathComponent("fuzz/regressions")

  /// (target, file name) of every kept input.
  static let inputs: [String] = {
    let targets = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return targets.sorted().flatMap { target in
      ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(target).path)) ?? [])
        .filter { !$0.hasPrefix(".") }.sorted().map { "\(target)/\($0)" }
    }
  }()

  /// FuzzLogParser's formats and prefixes, in its order: its first byte is format + 5 × prefix.
  static let formats = ["stderr", "csvlog", "jsonlog", "syslog", "pgbouncer"]
  static let prefixes = [
    "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ", "%m [%p] %q%u@%d ", "%t:%r:%u@%d:[%p]: ",
    "%m [%p]: [%l-1] db=%d,user=%u ", "%t-%c-", "%n %c %l %e [%a] %q%u@%d ", "user=%u,db=%d,app=%a,client=%h ",
  ]

  @Test("the fuzzers found crashes, and each is kept")
  func kept() {
    #expect(Self.inputs.count >= 10, "fuzz/regressions holds \(Self.inputs)")
  }

  @Test("a kept input runs to a report", arguments: inputs)
  func replay(_ input: String) throws {
    let bytes = try Data(contentsOf: Self.folder.appendingPathComponent(input))
    let target = String(input.split(separator: "/")[0])
    let scratch = try TemporaryDirectory()
    var arguments = ["analyze", "--format", "json"]
    switch target {
    case "FuzzLogParser":
      guard let selector = bytes.first else { return }
      let file = scratch.path("input.log")
      try Data(bytes.dropFirst()).write(to: URL(fileURLWithPath: file))
      let format = Self.formats[Int(selector) % 5]
      arguments += [file, "--log-format", format]
      if format == "stderr" || format == "syslog" {
        arguments += ["--prefix", Self.prefixes[Int(selector) / 5 % Self.prefixes.count]]
      }
    case "FuzzPrefixDetector":
      let file = scratch.path("input.log")
      try bytes.write(to: URL(fileURLWithPath: file))
      arguments.append(file)
    case "FuzzSQLLexer":
      // The statement in a log line of the shop's format, its line ends as continuation lines.
      let file = scratch.path("input.log")
      var log = Data(
        "2026-11-25 04:04:07 UTC [101]: [1-1] user=app,db=shop,app=web,client=[local] LOG:  duration: 1.0 ms  statement: "
          .utf8)
      for byte in bytes {
        log.append(byte)
        if byte == 0x0A { log.append(0x09) }
      }
      log.append(0x0A)
      try log.write(to: URL(fileURLWithPath: file))
      arguments += [file, "--prefix", Self.prefixes[0]]
    case "FuzzCloudExport":
      guard let selector = bytes.first else { return }
      let file = scratch.path("input.json")
      try Data(bytes.dropFirst()).write(to: URL(fileURLWithPath: file))
      arguments += [file, "--log-format", selector % 2 == 0 ? "cloudsql" : "azure"]
      arguments += ["--prefix", selector % 2 == 0 ? Self.prefixes[3] : Self.prefixes[4]]
    case "FuzzDecompression":
      guard let selector = bytes.first else { return }
      let file = scratch.path("input" + ["", ".gz", ".bz2", ".xz", ".zst"][Int(selector) % 5])
      try Data(bytes.dropFirst()).write(to: URL(fileURLWithPath: file))
      arguments.append(file)
    default:
      Issue.record("no replay for fuzz target \(target)")
      return
    }
    let result = try pgsift(arguments)
    #expect([0, 2].contains(result.status), "\(input): exit status \(result.status)\n\(result.stderr.prefix(3_000))")
    if result.status == 0 || !result.stdout.isEmpty {
      #expect(throws: Never.self, "\(input): the report is not JSON") { try result.report() }
      // The fuzz targets' own checks, on the counts the report gives: no line skipped twice.
      for file in (try? result.report().input.files) ?? [] {
        #expect(file.skippedLines + file.blankLines <= file.lines, "\(input): more lines skipped than read")
      }
    }
  }
}
