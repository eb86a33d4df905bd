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

  @Argument(help: ArgumentHelp("The baseline report (JSON).", valueName: "baseline"))
  var baseline: String

  @Argument(help: ArgumentHelp("The current report (JSON).", valueName: "current"))
  var current: String

  @OptionGroup var budget: BudgetOptions

  @Option(help: "Output format: text, json, markdown or junit (default: from --output's extension, else text).")
  var format: ComparisonFormat?

  @Option(name: [.short, .long], help: ArgumentHelp("Write the comparison to this file.", valueName: "file"))
  var output: String?

  @Option(help: "How many queries each list shows.")
  var top: Int = 10

  func run() throws {
    let resolved: Budget
    do { resolved = try budget.resolve() } catch { throw Failure.badInput(error.message) }
    let before = try Self.load(baseline)
    let after = try Self.load(current)
    let comparison = Comparer.compare(
      baseline: before, baselinePath: baseline, current: after, currentPath: current, budget: resolved)
    let chosen = format ?? output.flatMap(ComparisonFormat.forPath) ?? .text
    try Self.emit(try ComparisonOutput.render(comparison, as: chosen, top: top), to: output)
    if !comparison.passed { throw ExitCode(1) }
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
