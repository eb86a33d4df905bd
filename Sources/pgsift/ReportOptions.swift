// The options that shape a report, shared by `analyze` and `merge`, and the code that writes it.
import Analysis
import ArgumentParser
import Foundation
import LogInput
import Reports

struct ReportOptions: ParsableArguments {
  @Option(
    name: .long,
    help: "Report format: text, json or html (default: from --output's extension, .json or .html, else text).")
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
    name: .long,
    help: ArgumentHelp(
      "Leave literal values out of the report, for readers outside the database team: no examples, parameters "
        + "or plans; statements normalized; numbers and quoted values in messages replaced."))
  var redact = false

  @Flag(
    name: .shortAndLong,
    help: "Print nothing but problems (for cron): no notices, no progress, no passing gate summary.")
  var quiet = false

  func validate() throws {
    guard top > 0 else { throw ValidationError("--top must be at least 1.") }
  }

  /// Renders the report in the chosen format, writes it, and prints the run's problems; returns the path
  /// written (strftime patterns expanded), if any.
  func emit(_ result: AnalysisResult) throws -> String? {
    let output = self.output.map(Strftime.expand)
    let chosen =
      format ?? ((output?.hasSuffix(".json") ?? false) ? .json : (output?.hasSuffix(".html") ?? false) ? .html : .text)
    let report = redact ? result.report.redacted() : result.report
    let text: String
    switch chosen {
    case .json: text = try JSONReport.render(report)
    case .text: text = TextReport(top: top).render(report)
    case .html: text = HTMLReport().render(report)
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
    printProblems(result.diagnostics)
    return output
  }

  /// Writes --save-state; a file that cannot be written ends the run with status 3, like a report.
  static func save(_ run: PartialRun, to path: String) throws {
    do {
      try run.save(to: Strftime.expand(path))
    } catch {
      FileHandle.standardError.write(Data("pgsift: cannot write \(path): \(error.localizedDescription)\n".utf8))
      throw ExitCode(3)
    }
  }

  func printProblems(_ diagnostics: Diagnostics) {
    var err = ""
    for diagnostic in diagnostics.kept where !quiet || diagnostic.kind.isInputProblem {
      err += "pgsift: \(diagnostic.location): \(diagnostic.message)\n"
    }
    for (kind, count) in diagnostics.counts.sorted(by: { $0.key.rawValue < $1.key.rawValue })
    where count > Diagnostics.messagesKeptPerKind && (!quiet || kind.isInputProblem) {
      err += "pgsift: ... and \(count - Diagnostics.messagesKeptPerKind) more \(kind.rawValue) problems\n"
    }
    if !err.isEmpty { FileHandle.standardError.write(Data(err.utf8)) }
  }
}
