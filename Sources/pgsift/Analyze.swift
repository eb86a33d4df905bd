// `pgsift analyze`: options in, one library call, the report out, problems to standard error.
import Analysis
import ArgumentParser
import Foundation
import LogFormats
import LogInput
import Reports

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json
}

enum FormatChoice: String, ExpressibleByArgument, CaseIterable {
  case auto, stderr, csvlog, jsonlog
}

/// A duration given as `30ms`, `1.5s`, `250us` or a bare number of milliseconds.
struct DurationArgument: ExpressibleByArgument {
  var microseconds: Int64

  init?(argument: String) {
    let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
    let units: [(String, Double)] = [("us", 1), ("µs", 1), ("ms", 1000), ("s", 1_000_000), ("min", 60_000_000)]
    var number = text
    var scale = 1000.0
    for (suffix, factor) in units where text.hasSuffix(suffix) {
      number = String(text.dropLast(suffix.count))
      scale = factor
      break
    }
    guard let value = Double(number.trimmingCharacters(in: .whitespaces)), value >= 0, value.isFinite else {
      return nil
    }
    microseconds = Int64((value * scale).rounded())
  }

  var defaultValueDescription: String {
    microseconds % 1000 == 0 ? "\(microseconds / 1000)ms" : "\(microseconds)us"
  }
}

struct Analyze: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Report per-fingerprint statement statistics for one or more log files.",
    discussion: """
      Each FILE may be plain or gzip (found by its magic bytes, concatenated members included); - reads \
      standard input. The format is detected from the first lines of each file unless --log-format or \
      --prefix is given.

      Exit status: 0 when every input was read cleanly; 1 on a usage error (bad option or value); 2 when the \
      input had problems: a file that cannot be read, a corrupt or truncated gzip stream, lines that fit no \
      format (skipped), or lines that are not valid UTF-8 (kept, with invalid bytes replaced). With status 2 \
      the report is still written and counts what was skipped. 3 when the report cannot be written.
      """)

  @Argument(help: ArgumentHelp("Log files to read; - for standard input.", valueName: "file"))
  var files: [String]

  @Option(name: .long, help: "Log format: auto, stderr, csvlog or jsonlog.")
  var logFormat: FormatChoice = .auto

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The server's log_line_prefix, for stderr logs (detected when not given).", valueName: "log_line_prefix"))
  var prefix: String?

  @Option(name: .long, help: ArgumentHelp("Slow-query threshold, e.g. 30ms, 1.5s, 250us.", valueName: "duration"))
  var threshold: DurationArgument = DurationArgument(argument: "30ms")!

  @Option(name: .long, help: "Report format: text or json (default: json when --output ends in .json, else text).")
  var format: OutputFormat?

  @Option(
    name: [.short, .long],
    help: ArgumentHelp("Write the report to this file instead of standard output.", valueName: "file"))
  var output: String?

  @Option(name: .long, help: "How many queries each text table lists.")
  var top: Int = 10

  @Option(
    name: .long,
    help: ArgumentHelp(
      "A schema dump (pg_dump --schema-only) so the index advisor skips existing indexes and knows column types; "
        + "repeatable.", valueName: "file"))
  var schema: [String] = []

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Check index suggestions on this database with HypoPG (libpq connection string or URI; PG* variables and "
        + ".pgpass apply). Read-only: EXPLAIN without ANALYZE, hypothetical indexes only, with timeouts.",
      valueName: "connection"))
  var dsn: String?

  @Flag(name: .long, help: "Leave out the index advisor.")
  var noIndexAdvice = false

  @Flag(
    name: .shortAndLong, help: "Do not print input problems to standard error (they are still counted in the report).")
  var quiet = false

  func validate() throws {
    guard !files.isEmpty else { throw ValidationError("Give at least one log file, or - for standard input.") }
    guard top > 0 else { throw ValidationError("--top must be at least 1.") }
    if let prefix {
      do { _ = try LinePrefix(prefix) } catch { throw ValidationError("--prefix: \(error.message)") }
    }
  }

  func run() throws {
    let linePrefix = try prefix.map { text throws(PrefixSyntaxError) in try LinePrefix(text) }
    let forced: LogFormat? =
      switch logFormat {
      case .auto: nil
      case .stderr: .stderr
      case .csvlog: .csvlog
      case .jsonlog: .jsonlog
      }
    let options = AnalysisOptions(
      paths: files, format: forced, prefix: linePrefix, thresholdUs: threshold.microseconds, schemaPaths: schema,
      adviseIndexes: !noIndexAdvice, dsn: dsn)
    let result = Analyzer.run(options)

    let chosen = format ?? ((output?.hasSuffix(".json") ?? false) ? .json : .text)
    let text: String
    switch chosen {
    case .json: text = try JSONReport.render(result.report)
    case .text: text = TextReport(top: top).render(result.report)
    }
    if let output {
      do {
        try ReportFile.write(text, to: output)
      } catch {
        FileHandle.standardError.write(Data("pgsift: cannot write \(output): \(error.localizedDescription)\n".utf8))
        throw ExitCode(3)
      }
    } else {
      FileHandle.standardOutput.write(Data(text.utf8))
    }

    if !quiet { printProblems(result.diagnostics) }
    if result.diagnostics.hasInputProblems { throw ExitCode(2) }
  }

  private func printProblems(_ diagnostics: Diagnostics) {
    var err = ""
    for diagnostic in diagnostics.kept {
      err += "pgsift: \(diagnostic.location): \(diagnostic.message)\n"
    }
    for (kind, count) in diagnostics.counts.sorted(by: { $0.key.rawValue < $1.key.rawValue })
    where count > Diagnostics.messagesKeptPerKind {
      err += "pgsift: ... and \(count - Diagnostics.messagesKeptPerKind) more \(kind.rawValue) problems\n"
    }
    if !err.isEmpty { FileHandle.standardError.write(Data(err.utf8)) }
  }
}

/// Writes a report file. A regular file is replaced atomically (a reader never sees half a report, and a failed
/// run leaves the previous one); anything else (`/dev/stdout`, a pipe, `/dev/null`) is written in place.
enum ReportFile {
  static func write(_ text: String, to path: String) throws {
    var isDirectory: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
    let attributes = exists ? try? FileManager.default.attributesOfItem(atPath: path) : nil
    let isRegular = (attributes?[.type] as? FileAttributeType) == .typeRegular
    if !exists || isRegular {
      try text.write(toFile: path, atomically: true, encoding: .utf8)
    } else {
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
      defer { try? handle.close() }
      try handle.write(contentsOf: Data(text.utf8))
    }
  }
}
