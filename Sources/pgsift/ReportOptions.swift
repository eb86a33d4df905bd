// The options that shape a report, shared by `analyze` and `merge`, and the code that writes it.
import Analysis
import AppPatterns
import ArgumentParser
import Foundation
import LogInput
import OutputFiles
import Reports
import RunState

struct ReportOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "Report format: text, json, html or openmetrics (Prometheus' text format, for node_exporter's textfile "
        + "collector). Default: from each --output's extension (.json, .html, .prom, .txt), else text."))
  var format: OutputFormat?

  @Option(
    name: [.short, .long],
    help: ArgumentHelp(
      "Write the report to this file instead of standard output; - is standard output; strftime patterns "
        + "(%Y-%m-%d) are expanded. Repeatable: each file in the format its extension names.",
      valueName: "file"), completion: .file())
  var output: [String] = []

  @Option(name: .long, help: "How many queries each text table lists.")
  var top: Int = 10

  @Option(
    name: .long,
    help: ArgumentHelp(
      "A schema dump (pg_dump --schema-only) so the index advisor skips existing indexes and knows column types; "
        + "repeatable.", valueName: "file"), completion: .file(extensions: ["sql"]))
  var schema: [String] = []

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Check the index suggestions, as a set and each alone, on this database with HypoPG (libpq connection "
        + "string or URI; PG* variables and .pgpass apply). Read-only: EXPLAIN without ANALYZE, hypothetical "
        + "indexes only, with timeouts.",
      valueName: "connection"))
  var dsn: String?
  @Flag(name: .long, help: "Leave out the index advisor.")
  var noIndexAdvice = false

  @Option(
    name: .customLong("n-plus-one"),
    help: ArgumentHelp(
      "N+1: report lookups of one query, one key at a time, from this many in a burst.", valueName: "n"))
  var nPlusOne = ReportOptions.appDefaults.nPlusOne

  @Option(
    name: .customLong("n-plus-one-bursts"),
    help: ArgumentHelp("N+1: ... after the same parent query this many times.", valueName: "n"))
  var nPlusOneBursts = ReportOptions.appDefaults.nPlusOneBursts

  @Option(
    name: .customLong("row-by-row"),
    help: ArgumentHelp(
      "Row-by-row writes: report runs of single-row writes of one query from this long.", valueName: "n"))
  var rowByRow = ReportOptions.appDefaults.rowByRow

  @Option(
    name: .customLong("wide-columns"),
    help: ArgumentHelp("Wide reads: report SELECT * or select lists of this many columns ...", valueName: "n"))
  var wideColumns = ReportOptions.appDefaults.wideColumns

  @Option(name: .customLong("wide-min-calls"), help: ArgumentHelp("... on queries run this often.", valueName: "n"))
  var wideMinCalls = ReportOptions.appDefaults.wideMinCalls

  @Option(
    name: .customLong("deep-offset"),
    help: ArgumentHelp("Deep pagination: report queries run with an OFFSET this large.", valueName: "n"))
  var deepOffset = ReportOptions.appDefaults.deepOffset

  @Option(
    name: .customLong("churn-per-second"),
    help: ArgumentHelp("Connection churn: report from this many new connections per second ...", valueName: "rate"))
  var churnPerSecond = ReportOptions.appDefaults.churnPerSecond

  @Option(
    name: .customLong("churn-short-share"),
    help: ArgumentHelp("... when this percentage of sessions lasted under one second.", valueName: "percent"))
  var churnShortShare = ReportOptions.appDefaults.churnShortShare * 100

  @Option(
    name: .customLong("max-fingerprints"),
    help: ArgumentHelp(
      "Distinct query fingerprints kept apart; past a quarter more, the least used are folded into one line "
        + "of the report (their calls and time stay in every total), so memory stays bounded. 0: no limit.",
      valueName: "n"))
  var maxFingerprints = Analyzer.defaultFingerprintBudget

  /// --max-fingerprints as the aggregate takes it.
  var fingerprintBudget: Int? { maxFingerprints == 0 ? nil : maxFingerprints }

  /// The defaults of the application advisor's flags: AppAdviceThresholds' own.
  static let appDefaults = AppAdviceThresholds()

  /// The application advisor's thresholds, as the flags set them.
  var appThresholds: AppAdviceThresholds {
    var t = AppAdviceThresholds()
    t.nPlusOne = nPlusOne
    t.nPlusOneBursts = nPlusOneBursts
    t.rowByRow = rowByRow
    t.wideColumns = wideColumns
    t.wideMinCalls = wideMinCalls
    t.deepOffset = deepOffset
    t.churnPerSecond = churnPerSecond
    t.churnShortShare = churnShortShare / 100
    return t
  }

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

  @Option(
    name: .customLong("timezone"),
    help: ArgumentHelp(
      "Show the report's times in this zone: an IANA zone of the tz database (Europe/Paris, its daylight-saving "
        + "offsets applied), an offset (+05:30), or UTC (the default). Times keep their offset in JSON.",
      valueName: "zone"))
  var timeZone: String?

  /// --timezone, read.
  var displayZone: DisplayZone {
    get throws {
      guard let timeZone else { return .utc }
      do { return try DisplayZone(timeZone) } catch { throw ValidationError(error.description) }
    }
  }

  func validate() throws {
    guard top > 0 else { throw ValidationError("--top must be at least 1.") }
    _ = try displayZone
    guard maxFingerprints == 0 || maxFingerprints >= 100 else {
      throw ValidationError("--max-fingerprints must be 0 (no limit) or at least 100.")
    }
    guard nPlusOne >= 2, nPlusOneBursts >= 1, rowByRow >= 2, wideColumns >= 1, wideMinCalls >= 1, deepOffset >= 1,
      churnPerSecond >= 0, (0...100).contains(churnShortShare)
    else {
      throw ValidationError(
        "application advice thresholds: --n-plus-one and --row-by-row need at least 2, --churn-short-share a "
          + "percentage, the others at least 1.")
    }
  }

  /// Renders the report in each output's format, writes every output (standard output when none is given), and
  /// prints the run's problems; returns the paths written (strftime patterns expanded). When an output cannot be
  /// written the others still are, and the run ends with status 3. `threads` encode the JSON report.
  func emit(_ result: AnalysisResult, threads: Int = 1) throws -> [String] {
    let outputs = output.isEmpty ? [DurableFile.standardOutput] : output.map(Strftime.expand)
    let report = redact ? result.report.redacted() : result.report
    var rendered: [String: String] = [:]
    var failed = false
    for path in outputs {
      let chosen = OutputFormat.forPath(path) ?? format ?? .text
      // The text report on a terminal fits its width and sets its titles in bold.
      let terminal = chosen == .text && path == DurableFile.standardOutput && isatty(STDOUT_FILENO) != 0
      // The raw value, not the case interpolated: that reflects on the enum (a million instructions; callgrind).
      let key = chosen.rawValue + (terminal ? "/terminal" : "")
      let text: String
      if let done = rendered[key] {
        text = done
      } else {
        switch chosen {
        case .json: text = try JSONReport.render(report, threads: threads)
        case .text:
          let width = Self.textWidth(terminal: terminal)
          text = TextReport(
            top: top, width: width ?? 100, fitsTables: width != nil, colour: terminal && Self.colourAllowed
          ).render(report)
        case .html: text = HTMLReport().render(report)
        case .openmetrics: text = OpenMetricsReport(top: max(top, 20)).render(report)
        }
        rendered[key] = text
      }
      // Standard output too is checked: a report that did not reach it (a full disk behind `>`) is a failure.
      do {
        try DurableFile.write(text, to: path)
      } catch {
        FileHandle.standardError.write(Data("pgsift: \(error) (the report)\n".utf8))
        failed = true
      }
    }
    if failed { throw ExitCode(3) }
    printProblems(result.diagnostics)
    return outputs.filter { $0 != DurableFile.standardOutput }
  }

  /// The width the text report fits: `COLUMNS` when it is set, else the terminal's; nil for a file or a pipe.
  static func textWidth(terminal: Bool) -> Int? {
    if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
    var size = winsize()
    if terminal, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    return nil
  }

  /// Colour is for terminals whose user has not asked for none (https://no-color.org) and that can show it.
  static var colourAllowed: Bool {
    let environment = ProcessInfo.processInfo.environment
    return (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
  }

  /// Writes --save-state (with --redact, without the values the report leaves out); a file that cannot be
  /// written ends the run with status 3, like a report.
  static func save(_ run: PartialRun, to path: String, redact: Bool) throws {
    var saved = redact ? run.redacted() : run
    saved.generator = Analyzer.generator
    do {
      try saved.save(to: Strftime.expand(path))
    } catch let error as WriteError {
      FileHandle.standardError.write(Data("pgsift: \(error) (the saved state)\n".utf8))
      throw ExitCode(3)
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
    if !err.isEmpty { FileHandle.standardError.write(Data(TerminalText.escaped(err).utf8)) }
  }
}
