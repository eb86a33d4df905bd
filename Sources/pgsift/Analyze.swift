// `pgsift analyze`: options in, one library call, the report out, problems to standard error.
import Analysis
import ArgumentParser
import Foundation
import LogFormats
import LogInput
import LogReading
import OutputFiles
import Regression
import Reports
import RunState

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json, html, openmetrics

  /// The format a report file's name asks for: .json, .html, .prom (Prometheus' textfile collector), .txt.
  static func forPath(_ path: String) -> OutputFormat? {
    if path.hasSuffix(".json") { return .json }
    if path.hasSuffix(".html") || path.hasSuffix(".htm") { return .html }
    if path.hasSuffix(".prom") || path.hasSuffix(".om") { return .openmetrics }
    if path.hasSuffix(".txt") { return .text }
    return nil
  }
}

/// --log-format: `auto` (detect) or one of the formats pgsift reads.
struct LogFormatArgument: ExpressibleByArgument {
  /// nil for `auto`.
  var format: LogFormat?

  init(format: LogFormat?) { self.format = format }

  init?(argument: String) {
    if argument == "auto" {
      format = nil
    } else if let known = LogFormat(rawValue: argument) {
      format = known
    } else {
      return nil
    }
  }

  var defaultValueDescription: String { format?.rawValue ?? "auto" }
  static var allValueStrings: [String] { ["auto"] + LogFormat.allCases.map(\.rawValue) }
}

/// A duration given as `30ms`, `1.5s`, `250us`, `5m` or `5min`, `1h`, `1d`, or a bare number of milliseconds.
struct DurationArgument: ExpressibleByArgument {
  var microseconds: Int64

  init(microseconds: Int64) { self.microseconds = microseconds }

  init?(argument: String) {
    let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
    // Longest suffix first where one ends another (ms before s, min before m).
    let units: [(String, Double)] = [
      ("us", 1), ("µs", 1), ("ms", 1000), ("s", 1_000_000), ("min", 60_000_000), ("m", 60_000_000),
      ("h", 3_600_000_000), ("d", 86_400_000_000),
    ]
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
    // Named here, not derived from the type: ArgumentParser derives it through String(describing:) each time
    // it matches a subcommand (callgrind).
    commandName: "analyze",
    abstract: "Report per-fingerprint statement statistics for one or more log files.",
    discussion: """
      Each FILE may be plain or compressed with gzip, bzip2, xz or zstd (found by its magic bytes, concatenated \
      members included); - reads standard input. The format (stderr with any log_line_prefix, csvlog, jsonlog, \
      syslog, Heroku logplex, Cloud SQL and Azure exports, PgBouncer, CloudNativePG) is detected from lines \
      sampled across each file unless --log-format or --prefix is given.

      Exit status: 0 when every input was read cleanly; 1 on a usage error (bad option or value); 2 when the \
      input had problems: a file that cannot be read, a corrupt or truncated gzip stream, lines that fit no \
      format (skipped), or lines that are not valid UTF-8 (kept, with invalid bytes replaced). With status 2 \
      the report is still written and counts what was skipped. 3 when the report cannot be written.
      """)

  @Argument(help: ArgumentHelp("Log files to read; - for standard input.", valueName: "file"), completion: .file())
  var files: [String]

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Log format: auto, stderr, csvlog, jsonlog, syslog, logplex (Heroku), cloudsql (a Google Cloud Logging "
        + "export), azure (an Azure Monitor export), pgbouncer or cloudnativepg (kubectl logs of a CloudNativePG "
        + "instance)."))
  var logFormat = LogFormatArgument(format: nil)

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The server's log_line_prefix, for stderr, syslog, logplex and cloud export logs (detected when not given).",
      valueName: "log_line_prefix"))
  var prefix: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The server's log_timezone, to read the zone abbreviations its timestamps carry: an IANA zone "
        + "(Asia/Shanghai) or an offset (+08:00). Needed where an abbreviation stands for several zones (CST, CDT, "
        + "IST, PST); without it they are read as US Central, US Pacific and India, and the report says so.",
      valueName: "zone"))
  var logTimezone: String?

  @Option(name: .long, help: ArgumentHelp("Slow-query threshold, e.g. 30ms, 1.5s, 250us.", valueName: "duration"))
  var threshold = DurationArgument(microseconds: AnalysisOptions.defaultThresholdUs)

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Database time per request that makes a request slow, for statements whose tags carry a traceparent "
        + "(requests over it are counted per endpoint).", valueName: "duration"))
  var requestBudget = DurationArgument(microseconds: AnalysisOptions.defaultRequestBudgetUs)

  @OptionGroup(title: "Report options") var report: ReportOptions

  @OptionGroup(title: "Filters (applied while reading, before anything is counted)") var filters: FilterOptions

  @Option(
    help: ArgumentHelp(
      "The time series' interval, e.g. 1min, 5m, 1h or 1d (default: 1s); it doubles when the log is too long for "
        + "1,440 intervals.", valueName: "duration"))
  var interval: DurationArgument?

  @Option(
    name: .shortAndLong,
    help: ArgumentHelp(
      "Threads that parse, sample the prefix and parse slow queries for advice (default: one per core); 1 does "
        + "everything on one thread.", valueName: "n"))
  var jobs: Int = Analyzer.defaultJobs

  @Option(name: .long, help: .hidden)
  var chunkSize: Int = Analyzer.defaultChunkBytes

  @Option(
    help: ArgumentHelp(
      "Also save what was read, before any report, for `pgsift merge` (each host saves its own; one job merges).",
      valueName: "file"), completion: .file())
  var saveState: String?

  @Option(
    help: ArgumentHelp(
      "Gate in one step: compare this run with a baseline JSON report under the budget options below. "
        + "Repeatable (the newest first), or a directory of reports: each query is judged against its noise band "
        + "over them.", valueName: "file"), completion: .file())
  var baseline: [String] = []

  @Option(
    help: ArgumentHelp(
      "With --baseline: write the comparison here (format from the extension: .json, .md, .xml for JUnit, else "
        + "text); repeatable. The verdict and findings go to standard error either way.", valueName: "file"),
    completion: .file())
  var gateOutput: [String] = []

  @OptionGroup(title: "Budget options (with --baseline)") var budget: BudgetOptions

  @Option(
    help: ArgumentHelp(
      "Count only records at or after this time (the log's own timestamps): 2026-11-25, '2026-11-25 04:00', "
        + "2026-11-25T04:00:00Z; UTC unless a zone is given.", valueName: "time"))
  var since: TimeArgument?

  @Option(help: ArgumentHelp("Count only records before this time (same forms as --since).", valueName: "time"))
  var until: TimeArgument?

  @Option(
    help: ArgumentHelp(
      "Count only the last period, e.g. 24h, 30m, 7d: back from --until, or from now.", valueName: "duration"))
  var last: PeriodArgument?

  @Option(
    help: ArgumentHelp(
      "Remember how far each file was read, and read only what is new on the next run (rotated, renamed and "
        + "gzipped copies are recognized; truncated files start over). Written atomically at the end.",
      valueName: "file"), completion: .file())
  var state: String?

  @Option(
    help: ArgumentHelp(
      "With --state: how long to wait for another run that holds the state file before giving up (no line is "
        + "counted twice).", valueName: "seconds"))
  var stateWait: Int = 60

  /// The command `word` is one or two edits from, if any.
  static func nearCommand(_ word: String) -> String? {
    let commands = ["analyze", "compare", "merge", "help"]
    guard !word.contains("/"), !word.contains("."), word.count >= 3 else { return nil }
    func distance(_ a: [Character], _ b: [Character]) -> Int {
      var row = Array(0...b.count)
      for i in 1...a.count {
        var previous = row[0]
        row[0] = i
        for j in stride(from: 1, through: b.count, by: 1) {
          let current = row[j]
          row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
          previous = current
        }
      }
      return row[b.count]
    }
    return commands.first { distance(Array(word.lowercased()), Array($0)) <= 2 && word.lowercased() != $0 }
  }

  func validate() throws {
    if !gateOutput.isEmpty && baseline.isEmpty { throw ValidationError("--gate-output needs --baseline.") }
    if last != nil && since != nil { throw ValidationError("Give --since or --last, not both.") }
    if let since, let until, since.time >= until.time { throw ValidationError("--since must be before --until.") }
    if state != nil && files.contains("-") {
      throw ValidationError("--state cannot resume standard input; give files.")
    }
    guard !files.isEmpty else { throw ValidationError("Give at least one log file, or - for standard input.") }
    // `pgsift anaylze x.log` would read a file named anaylze: a first word that is no file and nearly a command
    // is a typo.
    if let first = files.first, !FileManager.default.fileExists(atPath: first),
      let command = Self.nearCommand(first)
    {
      throw ValidationError("Unknown command '\(first)'; did you mean '\(command)'? (No file named '\(first)' either.)")
    }
    guard jobs > 0 else { throw ValidationError("--jobs must be at least 1.") }
    if let interval, interval.microseconds < 1_000_000 || interval.microseconds % 1_000 != 0 {
      throw ValidationError("--interval must be a whole number of milliseconds, at least 1s.")
    }
    guard chunkSize > 0 else { throw ValidationError("--chunk-size must be at least 1.") }
    if let prefix {
      do { _ = try LinePrefix(prefix) } catch { throw ValidationError("--prefix: \(error.message)") }
    }
  }

  func run() throws {
    let linePrefix = try prefix.map { text throws(PrefixSyntaxError) in try LinePrefix(text) }
    let forced = logFormat.format
    var options = AnalysisOptions(
      paths: files, format: forced, prefix: linePrefix, thresholdUs: threshold.microseconds,
      schemaPaths: report.schema, adviseIndexes: !report.noIndexAdvice, dsn: report.dsn)
    options.jobs = jobs
    if let logTimezone {
      do {
        options.logTimeZone = try LogTimeZone(logTimezone)
      } catch {
        throw ValidationError(error.description)
      }
    }
    options.appAdvice = report.appThresholds
    options.displayZone = try report.displayZone
    options.requestBudgetUs = requestBudget.microseconds
    options.fingerprintBudget = report.fingerprintBudget
    if let interval { options.intervalMs = interval.microseconds / 1_000 }
    options.chunkBytes = chunkSize
    let end = until?.time
    options.window = TimeWindow(
      since: last.map {
        LogTime(epochMs: (end?.epochMs ?? Int64(Date().timeIntervalSince1970 * 1000)) - $0.milliseconds)
      } ?? since?.time,
      until: end)
    options.filter = filters.recordFilter
    options.statementFilter = filters.statementFilter
    options.statePath = state
    let quiet = report.quiet
    // One run at a time on a --state file, from reading it to replacing it: an overlapping cron job waits for
    // the other, then reads what is new after it, or gives up without counting anything.
    var lock: FileLock?
    if let state {
      do {
        lock = try FileLock(beside: state, waitSeconds: stateWait) { held in
          if !quiet {
            FileHandle.standardError.write(Data("pgsift: waiting for the run that holds \(held)\n".utf8))
          }
        }
      } catch {
        throw Compare.Failure.badInput(error.description)
      }
    }
    defer { withExtendedLifetime(lock) {} }
    let progress = quiet || isatty(STDERR_FILENO) == 0 ? nil : ProgressBar(inputs: files)
    if let progress { options.progress = { progress.show($0) } }
    let run: PartialRun
    do {
      run = try Analyzer.aggregate(options)
    } catch {
      progress?.clear()
      throw Compare.Failure.badInput(error.message)
    }
    progress?.clear()
    if let saveState { try ReportOptions.save(run, to: saveState, redact: report.redact) }
    let pendingState = run.pendingState
    let result = Analyzer.report(from: consume run, options: options)
    let output = try report.emit(result, threads: jobs).first
    var regression = false
    if !baseline.isEmpty {
      let resolved: Budget
      do { resolved = try budget.resolve() } catch { throw Compare.Failure.badInput(error.message) }
      let baselines = try Compare.baselines(baseline, most: 10)
      let currentPath = output ?? "this run"
      let cautions = try Compare.settingsChecked(
        baselines, result.report, currentPath: currentPath, allowed: budget.allowDifferentSettings)
      let comparison = Comparer.compare(
        baselines: baselines, current: result.report, currentPath: currentPath, budget: resolved)
      regression = !comparison.passed
      // Standard output may hold the report: the gate's text and annotations go to standard error.
      try Compare.deliver(
        comparison, cautions: cautions, outputs: gateOutput, format: nil,
        top: report.top, quiet: quiet, standardOutputTaken: output == nil)
    }
    // Last, once every output is written: the state moves on only now.
    if let state {
      do {
        try Analyzer.commitState(pendingState, to: state)
      } catch {
        FileHandle.standardError.write(
          Data("pgsift: \(error.message); the previous state is kept, so the next run reads these lines again\n".utf8))
        throw ExitCode(3)
      }
    }
    if result.diagnostics.hasInputProblems { throw ExitCode(2) }
    if regression { throw ExitCode(1) }
  }
}

/// A point in time for --since/--until.
struct TimeArgument: ExpressibleByArgument {
  var time: LogTime

  init?(argument: String) {
    var text = argument.trimmingCharacters(in: .whitespaces)
    if text.count == 10 { text += " 00:00:00" }
    if text.hasSuffix("Z") || text.hasSuffix("z") { text.removeLast() }
    // 2026-11-25 04:00 -> add seconds; a zone written right after the time gets its space.
    if text.count >= 16,
      text.count == 16
        || !text[text.index(text.startIndex, offsetBy: 16)].isNumber
          && text[text.index(text.startIndex, offsetBy: 16)] != ":"
    {
      text.insert(contentsOf: ":00", at: text.index(text.startIndex, offsetBy: 16))
    }
    if text.count > 19 {
      let zoneStart = text.index(text.startIndex, offsetBy: 19)
      if text[zoneStart] == "+" || text[zoneStart] == "-" { text.insert(" ", at: zoneStart) }
    }
    guard let parsed = Array(text.utf8).withUnsafeBufferPointer({ LogTimestamp.parse($0, at: 0) }),
      parsed.end == text.utf8.count, parsed.zoneKnown
    else { return nil }
    time = parsed.time
  }
}

/// A period for --last: 90s, 30m, 24h, 7d.
struct PeriodArgument: ExpressibleByArgument {
  var milliseconds: Int64

  init?(argument: String) {
    let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
    let units: [(String, Double)] = [
      ("ms", 1), ("s", 1000), ("min", 60_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000), ("w", 604_800_000),
    ]
    guard let (suffix, scale) = units.first(where: { text.hasSuffix($0.0) }),
      let value = Double(text.dropLast(suffix.count)), value > 0
    else { return nil }
    milliseconds = Int64(value * scale)
  }
}

/// strftime patterns in output names, in local time: report-%Y-%m-%d.html.
enum Strftime {
  static func expand(_ pattern: String) -> String {
    guard pattern.contains("%") else { return pattern }
    var now = time(nil)
    var parts = tm()
    localtime_r(&now, &parts)
    var buffer = [Int8](repeating: 0, count: 4096)
    let count = strftime(&buffer, buffer.count, pattern, &parts)
    guard count > 0 else { return pattern }
    return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
