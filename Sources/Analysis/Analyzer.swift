// Runs the stages for the CLI: opens each input, finds its format, streams its lines through the parser,
// the event classifier and the aggregator, and builds the report. Problems are collected, never printed.
import Advisors
import AppPatterns
import Fingerprint
import Foundation
import LiveValidation
import LogFormats
import LogInput
import LogReading
import Reports
import RunState
import ServerEvents
import Statistics

/// --include-query and --exclude-query, as the command line gives them to `AnalysisOptions`.
public typealias StatementFilter = Statistics.StatementFilter

public struct AnalysisOptions: Sendable {
  /// Paths to read; `-` is standard input.
  public var paths: [String]
  /// The format to assume instead of detecting it.
  public var format: LogFormat?
  /// The stderr `log_line_prefix` to assume instead of detecting it.
  public var prefix: LinePrefix?
  public var thresholdUs: Int64
  /// The slow threshold when none is given: 30 ms.
  public static let defaultThresholdUs: Int64 = 30_000
  /// Database time per request (its statements with one traceparent) that makes it slow: 100 ms, the rule of
  /// thumb for an API whose own budget is 100 ms in all.
  public var requestBudgetUs = AnalysisOptions.defaultRequestBudgetUs
  public static let defaultRequestBudgetUs: Int64 = 100_000
  /// The time series' first interval, in milliseconds (it doubles to stay within 1,440 intervals).
  public var intervalMs: Int64 = 1_000
  /// `pg_dump --schema-only` files: existing indexes and column types for the index advisor.
  public var schemaPaths: [String]
  /// Whether to run the index advisor.
  public var adviseIndexes: Bool
  /// A libpq connection string: check suggestions with HypoPG on that database (read-only).
  public var dsn: String?
  /// Only records whose timestamps fall in this window count.
  public var window = TimeWindow()
  /// Only records of these databases, users, applications and hosts count (--database, --exclude-user, …).
  public var filter = RecordFilter()
  /// Only statements whose text this keeps count (--include-query, --exclude-query).
  public var statementFilter: StatementFilter?
  /// A --state file: read only what is new since the last run, and remember how far this run read.
  public var statePath: String?
  /// What the filters keep and leave out, for the report; nil when there is none.
  public var filterDescription: String? {
    let filters = [filter.description, statementFilter?.description].compactMap { $0 }
    return filters.isEmpty ? nil : filters.joined(separator: "; ")
  }
  /// The zone the report shows its times in.
  public var displayZone = DisplayZone.utc
  /// Called now and then while reading, for a progress display.
  public var progress: (@Sendable (ProgressUpdate) -> Void)?
  /// Threads that parse; 1 parses on the calling thread.
  public var jobs = Analyzer.defaultJobs
  /// Size of the pieces the input is cut into for the threads. The pieces, and so the results, do not depend
  /// on `jobs`.
  public var chunkBytes = Analyzer.defaultChunkBytes
  /// What makes an application pattern worth reporting.
  public var appAdvice = AppAdviceThresholds()
  /// How the zone written after timestamps is read (--log-timezone).
  public var logTimeZone = LogTimeZone.standard
  /// Distinct fingerprints kept apart; past it the least used are folded (--max-fingerprints). nil: no limit.
  public var fingerprintBudget: Int? = StatementAggregator.defaultFingerprintBudget

  public init(
    paths: [String], format: LogFormat? = nil, prefix: LinePrefix? = nil,
    thresholdUs: Int64 = AnalysisOptions.defaultThresholdUs,
    schemaPaths: [String] = [], adviseIndexes: Bool = true, dsn: String? = nil
  ) {
    self.dsn = dsn
    self.paths = paths
    self.format = format
    self.prefix = prefix
    self.thresholdUs = thresholdUs
    self.schemaPaths = schemaPaths
    self.adviseIndexes = adviseIndexes
  }
}

public struct AnalysisResult: Sendable {
  public var report: AnalysisReport
  public var diagnostics: Diagnostics
  /// How many statements libpg_query was asked about, against how many were looked up.
  public var parserCalls: Int
  public var fingerprintLookups: Int
}

public enum Analyzer {
  public static let version = "0.1.0"
  /// What reports and saved runs say made them.
  public static let generator = "pgsift \(version)"
  /// One parsing thread per core.
  public static let defaultJobs = max(1, ProcessInfo.processInfo.activeProcessorCount)
  public static let defaultChunkBytes = 1 << 20
  public static let defaultFingerprintBudget = StatementAggregator.defaultFingerprintBudget

  /// Reads the inputs into one aggregate: each file cut into chunks, parsed by `options.jobs` threads, folded
  /// back in input order. Throws only when the --state file cannot be read, before anything else is done.
  public static func aggregate(
    _ options: AnalysisOptions, now: Date = Date()
  ) throws(ReadState.StateError)
    -> PartialRun
  {
    let state = try options.statePath.map { path throws(ReadState.StateError) in try ReadState.load(path) }
    var readingOptions = ReadingOptions(
      format: options.format, prefix: options.prefix,
      now: LogTime(epochMs: Int64((now.timeIntervalSince1970 * 1000).rounded())), pieceBytes: options.chunkBytes)
    readingOptions.zones = options.logTimeZone
    readingOptions.threads = options.jobs
    readingOptions.progress = options.progress
    var reader = LogReader(readingOptions, resume: state.map { ResumePoints($0.files, now: now) })
    let window = 2 * options.jobs + 2
    let pool = Pool(threads: options.jobs > 1 ? options.jobs : 0, window: window) { WorkerContext() }
    let fingerprinter = Fingerprinter()
    var total = StatementAggregator(thresholdUs: options.thresholdUs, intervalMs: options.intervalMs)
    total.fingerprintBudget = options.fingerprintBudget
    total.requests.budgetUs = options.requestBudgetUs
    if let state {
      total.resume(
        StatementAggregator.OpenState(
          sessions: state.openSessions ?? .none, connections: state.openConnections ?? [:],
          requests: state.openRequests ?? .none))
    }
    // A buffer spare for every piece the pool holds and one for the cutter: with one a thread, the pieces that
    // piled up while the fold caught up were mapped afresh and unmapped once parsed (21 of the 100 pieces of a
    // 100 MB log, each a megabyte of page faults, zeroing and a TLB shootdown; strace). No more are kept than
    // were once in flight, so the peak memory is the same.
    var consumer = PoolConsumer(
      pool: pool, settings: StageSettings(options), fold: Fold(total: total, fingerprinter: fingerprinter),
      spares: PieceSpares(limit: window + 1))
    for (ordinal, path) in options.paths.enumerated() { reader.read(path, ordinal: ordinal, into: &consumer) }
    consumer.finish()
    var fold = consumer.fold
    // A run that read not one record analyzed nothing: a report of zeros would pass for a quiet day (and a gate
    // would pass on it). With --state, nothing new since the last run is the quiet day itself.
    if !fold.files.contains(where: { $0.entries > 0 || $0.otherProgramLines > 0 })
      && !(options.statePath != nil && fold.files.contains { $0.error == nil })
    {
      let read = fold.files.reduce(0) { $0 + $1.bytes }
      let unreadable = fold.files.filter { $0.error != nil && $0.bytes == 0 }.count
      let one = options.paths.count == 1
      fold.diagnostics.report(
        .nothingCounted, at: InputLocation(file: one ? options.paths[0] : "input"),
        read > 0
          ? "nothing to analyze: no PostgreSQL log record in \(read) bytes read"
          : unreadable == fold.files.count
            ? "nothing to analyze: \(one ? "the file could not" : "no file could") be read"
            : unreadable > 0
              ? "nothing to analyze: \(unreadable) files could not be read and the others are empty"
              : "nothing to analyze: \(one ? "the file is" : "every file is") empty")
    }
    let contexts = pool.workerContexts
    var run = PartialRun(
      aggregate: fold.total, files: fold.files, diagnostics: fold.diagnostics,
      parserCalls: contexts.reduce(0) { $0 + $1.fingerprinter.parserCalls },
      fingerprintLookups: contexts.reduce(0) { $0 + $1.fingerprinter.lookups })
    run.generator = generator
    run.filters = options.filterDescription
    if var state, let resume = reader.resume {
      state.files = resume.positions
      // The sessions still open go to the next run, which counts them when they end.
      let open = run.aggregate.takeOpenState()
      state.openSessions = open.sessions.isEmpty ? nil : open.sessions
      state.openConnections = open.connections.isEmpty ? nil : open.connections
      state.openRequests = open.requests.isEmpty ? nil : open.requests
      run.pendingState = state
    }
    return run
  }

  /// Writes the --state file, once every output of the run is written: until then the previous state stands, so
  /// that a run whose report could not be written (a full disk, a bad path, a kill) reads its lines again next
  /// time rather than losing them.
  public static func commitState(_ state: ReadState?, to path: String) throws(ReadState.StateError) {
    guard let state else { return }
    try state.save(path)
  }

  /// Runs the analysis. Throws only when the --state file cannot be read, before anything else is done.
  public static func run(_ options: AnalysisOptions, now: Date = Date()) throws(ReadState.StateError) -> AnalysisResult
  {
    report(from: try aggregate(options, now: now), options: options)
  }

  /// Builds the report from what was read (or merged from saved runs): index advice, HypoPG, the report.
  /// The run is consumed: its aggregate becomes the report's without a copy of every query.
  public static func report(from run: consuming PartialRun, options: AnalysisOptions) -> AnalysisResult {
    var aggregator = run.aggregate
    run.aggregate = StatementAggregator(thresholdUs: aggregator.thresholdUs)
    aggregator.normalizeTexts()
    aggregator.finishBursts()
    var diagnostics = run.diagnostics
    let files = run.files
    var advice: IndexAdvice?
    if options.adviseIndexes {
      var catalog = SchemaCatalog(files: options.schemaPaths, diagnostics: &diagnostics)
      let validator = options.dsn.flatMap {
        HypotheticalValidator.connect($0, catalog: &catalog, diagnostics: &diagnostics)
      }
      let summary = aggregator.summary
      let minutes = Double((summary.last?.epochMs ?? 0) - (summary.first?.epochMs ?? 0)) / 60_000
      var advisor = IndexAdvisor(catalog: catalog, thresholdUs: options.thresholdUs, minutes: minutes)
      advisor.threads = options.jobs
      var result = advisor.advise(aggregator.queries)
      validator?.check(&result, queries: aggregator.queries, catalog: catalog)
      advice = result
    }
    let report = ReportBuilder.build(
      aggregator: aggregator, advice: advice, files: files, diagnostics: diagnostics,
      generator: generator, appThresholds: options.appAdvice, filters: options.filterDescription ?? run.filters,
      zone: options.displayZone, threads: options.jobs)
    return AnalysisResult(
      report: report, diagnostics: diagnostics, parserCalls: run.parserCalls,
      fingerprintLookups: run.fingerprintLookups)
  }
}
