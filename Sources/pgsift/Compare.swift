// `pgsift compare`: the CI regression gate between two JSON reports.
import ArgumentParser
import Foundation
import OutputFiles
import Regression
import Reports

extension ComparisonFormat: ExpressibleByArgument {}

struct Compare: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compare two JSON reports and fail when the current one is over budget.",
    discussion: """
      BASELINE and CURRENT are reports written by `pgsift analyze --format json`. Per fingerprint the comparison \
      lists new slow queries, queries whose p95 or mean rose past the limit, queries whose calls multiplied (an \
      N+1 loop appearing), improved and gone queries, and the overall slow share and total time. Rises under \
      1 ms are never counted, and queries with fewer than --min-calls calls are not judged on p95, mean or calls.

      Exit status: 0 when the current run is within every budget; 1 on a regression; 2 on bad input (a report \
      that cannot be read or is not a pgsift report, a bad budget file or option).
      """)

  @Argument(
    help: ArgumentHelp("The baseline report (JSON).", valueName: "baseline"), completion: .file(extensions: ["json"]))
  var baseline: String

  @Argument(
    help: ArgumentHelp("The current report (JSON).", valueName: "current"), completion: .file(extensions: ["json"]))
  var current: String

  @OptionGroup var budget: BudgetOptions

  @Option(
    help: ArgumentHelp(
      "Output format: text, json, markdown, junit or codequality (GitLab's Code Quality report; default: from "
        + "each --output's extension, else text)."))
  var format: ComparisonFormat?

  @Option(
    name: [.short, .long],
    help: ArgumentHelp(
      "Write the comparison to this file (.json, .md, .xml for JUnit, .txt; a .json named code-quality or "
        + "codequality, as gl-code-quality-report.json, is GitLab's Code Quality report); repeatable, each in its "
        + "extension's format. The verdict and findings still go to standard error.", valueName: "file"),
    completion: .file())
  var output: [String] = []

  @Option(help: "How many queries each list shows.")
  var top: Int = 10

  func run() throws {
    let resolved: Budget
    do { resolved = try budget.resolve() } catch { throw Failure.badInput(error.message) }
    let before = try Self.load(baseline)
    let after = try Self.load(current)
    let comparison = Comparer.compare(
      baseline: before, baselinePath: baseline, current: after, currentPath: current, budget: resolved)
    try Self.deliver(
      comparison, cautions: Self.cautions(before, after), outputs: output, format: format, top: top, quiet: false,
      standardOutputTaken: false)
    if !comparison.passed { throw ExitCode(1) }
  }

  /// What makes two reports hard to compare, said next to the verdict.
  static func cautions(_ baseline: AnalysisReport, _ current: AnalysisReport) -> [String] {
    var cautions: [String] = []
    if baseline.thresholdMs != current.thresholdMs {
      cautions.append(
        "the reports were made with different --threshold (\(ReportBuilder.formatMs(baseline.thresholdMs)) ms and "
          + "\(ReportBuilder.formatMs(current.thresholdMs)) ms): slow counts and new slow queries do not compare")
    }
    return cautions
  }

  /// Writes the comparison to each output in its format (to standard output when there is none, unless
  /// `standardOutputTaken`: a report is there), and the text verdict with its findings to standard error
  /// whenever it is not on standard output (under `quiet`, only a failure). In GitHub Actions
  /// (`GITHUB_ACTIONS=true`) it also writes an `::error` annotation per regression (to standard output, or to
  /// standard error when that holds a report) and appends the Markdown comparison to `$GITHUB_STEP_SUMMARY`.
  static func deliver(
    _ comparison: Comparison, cautions: [String], outputs: [String], format: ComparisonFormat?, top: Int,
    quiet: Bool, standardOutputTaken: Bool
  ) throws {
    for path in outputs {
      let chosen = ComparisonFormat.forPath(path) ?? format ?? .text
      try emit(try ComparisonOutput.render(comparison, as: chosen, top: top), to: path)
    }
    let notes = cautions.map { "pgsift: caution: \($0)\n" }.joined()
    if outputs.isEmpty && !standardOutputTaken {
      try emit(try ComparisonOutput.render(comparison, as: format ?? .text, top: top), to: nil)
      FileHandle.standardError.write(Data(notes.utf8))
    } else if !comparison.passed || !quiet {
      FileHandle.standardError.write(
        Data((notes + (try ComparisonOutput.render(comparison, as: .text, top: top))).utf8))
    }
    let environment = ProcessInfo.processInfo.environment
    guard environment["GITHUB_ACTIONS"] == "true" else { return }
    let annotations = Data(GitHubActions.annotations(comparison, cautions: cautions).utf8)
    (standardOutputTaken ? FileHandle.standardError : FileHandle.standardOutput).write(annotations)
    if let summary = environment["GITHUB_STEP_SUMMARY"], !summary.isEmpty {
      let markdown = try ComparisonOutput.render(comparison, as: .markdown, top: top)
      guard let handle = FileHandle(forWritingAtPath: summary) else {
        throw Failure.badInput("cannot write the step summary \(summary) (GITHUB_STEP_SUMMARY)")
      }
      defer { try? handle.close() }
      _ = try? handle.seekToEnd()
      handle.write(Data((markdown.hasSuffix("\n") ? markdown : markdown + "\n").utf8))
    }
  }

  enum Failure: Error {
    case badInput(String)
  }

  static func load(_ path: String) throws -> AnalysisReport {
    guard let data = FileManager.default.contents(atPath: path) else { throw Failure.badInput("\(path): cannot read") }
    let text = String(decoding: data, as: UTF8.self)
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let version = object["schema_version"] as? Int
    else { throw Failure.badInput("\(path): not a pgsift JSON report (pgsift analyze --format json)") }
    guard (2...AnalysisReport.currentSchemaVersion).contains(version) else {
      throw Failure.badInput(
        "\(path): report schema version \(version); this pgsift reads version 2 to \(AnalysisReport.currentSchemaVersion)"
      )
    }
    do { return try JSONReport.decode(text) } catch { throw Failure.badInput("\(path): \(error)") }
  }

  static func emit(_ text: String, to path: String?) throws {
    do { try DurableFile.write(text, to: path ?? DurableFile.standardOutput) } catch {
      throw Failure.badInput(error.description)
    }
  }
}
