// `pgsift merge`: adds up runs saved with `analyze --save-state` into one report, the one a single run over
// all their inputs would have written.
import Analysis
import ArgumentParser
import Foundation
import RunState

struct Merge: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Merge runs saved with --save-state into one report.",
    discussion: """
      Each host runs `pgsift analyze --save-state host.state` on its own logs; a central job runs \
      `pgsift merge a.state b.state ... -o fleet.html`. The report is the one a single `analyze` over all the \
      inputs, in the order given, would have written: same counts, percentiles, examples and errors. The \
      index advisor runs on the merged queries (give --schema or --dsn here). All parts must have been saved \
      with the same --threshold.

      Exit status: 0 when every part was read and its inputs were read cleanly; 2 when a part cannot be read \
      or its inputs had problems; 3 when the report cannot be written.
      """)

  @Argument(
    help: ArgumentHelp("Files written by analyze --save-state (or by merge --save-state).", valueName: "state"),
    completion: .file())
  var parts: [String]

  @OptionGroup(title: "Report options") var report: ReportOptions

  @Option(help: ArgumentHelp("Also save the merged run, to merge again later.", valueName: "file"), completion: .file())
  var saveState: String?

  func validate() throws {
    guard !parts.isEmpty else { throw ValidationError("Give at least one saved state.") }
  }

  func run() throws {
    var merged: PartialRun?
    for part in parts {
      do {
        let run = try PartialRun.load(part)
        if merged == nil {
          merged = run
          merged!.aggregate.limitFingerprints(to: report.fingerprintBudget)
        } else {
          try merged!.append(run)
        }
      } catch {
        throw Compare.Failure.badInput(
          error.path == part ? "\(part): \(error.message)" : "\(part): \(error.path) \(error.message)")
      }
    }
    guard let merged = merged.take() else { return }
    if let saveState { try ReportOptions.save(merged, to: saveState, redact: report.redact) }
    var options = AnalysisOptions(
      paths: [], thresholdUs: merged.aggregate.thresholdUs, schemaPaths: report.schema,
      adviseIndexes: !report.noIndexAdvice, dsn: report.dsn)
    options.appAdvice = report.appThresholds
    options.displayZone = try report.displayZone
    let result = Analyzer.report(from: consume merged, options: options)
    _ = try report.emit(result, threads: options.jobs)
    if result.diagnostics.hasInputProblems { throw ExitCode(2) }
  }
}
