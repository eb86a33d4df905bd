// `pgsift compare`: the CI regression gate between two JSON reports.
import ArgumentParser
import Foundation
import OutputFiles
import Regression
import Reports

extension ComparisonFormat: ExpressibleByArgument {}

struct Compare: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compare",
    abstract: "Compare two JSON reports and fail when the current one is over budget.",
    discussion: """
      The reports are written by `pgsift analyze --format json`: one baseline or several (the newest first; a \
      directory stands for its reports, newest first), then the current one. With several baselines each query \
      is judged against its noise band over them: a rise is measured from the band's top and must be \
      significant against every baseline run. Per fingerprint the comparison \
      lists new slow queries, queries whose p95 or mean rose past the limit, queries whose calls multiplied (an \
      N+1 loop appearing), improved and gone queries, and the overall slow share and total time. Rises under \
      1 ms are never counted, and queries with fewer than --min-calls calls are not judged on p95, mean or calls.

      Exit status: 0 when the current run is within every budget; 1 on a regression; 2 on bad input (a report \
      that cannot be read or is not a pgsift report, a bad budget file or option).
      """)

  @Argument(
    help: ArgumentHelp(
      "The baseline report (JSON), or several (the last runs of the main branch, newest first; a directory stands "
        + "for the .json reports in it, newest first), then the current report.", valueName: "report"),
    completion: .file(extensions: ["json"]))
  var reports: [String]

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

  @Option(help: "At most this many baseline reports of a directory, the newest.")
  var maxBaselines: Int = 10

  func validate() throws {
    guard reports.count >= 2 else {
      throw ValidationError("Give a baseline report (or several, or a directory of them) and the current report.")
    }
    guard maxBaselines >= 1 else { throw ValidationError("--max-baselines must be at least 1.") }
  }

  func run() throws {
    let resolved: Budget
    do { resolved = try budget.resolve() } catch { throw Failure.badInput(error.message) }
    let baselines = try Self.baselines(Array(reports.dropLast()), most: maxBaselines)
    let current = reports.last!
    let after = try Self.load(current)
    let cautions = try Self.settingsChecked(
      baselines, after, currentPath: current, allowed: budget.allowDifferentSettings)
    let comparison = Comparer.compare(baselines: baselines, current: after, currentPath: current, budget: resolved)
    try Self.deliver(
      comparison, cautions: cautions, outputs: output, format: format, top: top, quiet: false,
      standardOutputTaken: false)
    if !comparison.passed { throw ExitCode(1) }
  }

  /// The baseline reports, read: each file as given, each directory's .json reports newest first (at most
  /// `most` of them).
  static func baselines(_ paths: [String], most: Int) throws -> [(report: AnalysisReport, path: String)] {
    var files: [String] = []
    for path in paths {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
        files.append(path)
        continue
      }
      let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
      let reports = names.filter { $0.hasSuffix(".json") }.map { "\(path)/\($0)" }.map { file in
        (file, (try? FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date) ?? .distantPast)
      }.sorted { ($0.1, $1.0) > ($1.1, $0.0) }.prefix(most).map(\.0)
      guard !reports.isEmpty else { throw Failure.badInput("\(path): no .json report in this directory") }
      files += reports
    }
    return try files.map { (try load($0), $0) }
  }

  /// Refuses reports made with settings that make their figures mean different things (threshold, filters,
  /// redaction), unless `allowed`; then the differences are cautions said next to the verdict.
  static func settingsChecked(
    _ baselines: [(report: AnalysisReport, path: String)], _ current: AnalysisReport, currentPath: String,
    allowed: Bool
  ) throws -> [String] {
    var cautions: [String] = []
    for baseline in baselines {
      let differences = Comparer.settingsDiffer(baseline.report, current)
      guard !differences.isEmpty else { continue }
      let text = "\(baseline.path) and \(currentPath) were made with " + differences.joined(separator: "; ")
      guard allowed else {
        throw Failure.badInput("cannot compare: \(text). Give --allow-different-settings to compare them anyway")
      }
      cautions.append(text)
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
