// Runs the stages for the CLI: opens each input, finds its format, streams its lines through the parser,
// the event classifier and the aggregator, and builds the report. Problems are collected, never printed.
import Advisors
import Fingerprint
import Foundation
import LiveValidation
import LogFormats
import LogInput
import Reports
import ServerEvents
import Statistics

public struct AnalysisOptions: Sendable {
  /// Paths to read; `-` is standard input.
  public var paths: [String]
  /// The format to assume instead of detecting it.
  public var format: LogFormat?
  /// The stderr `log_line_prefix` to assume instead of detecting it.
  public var prefix: LinePrefix?
  public var thresholdUs: Int64
  /// `pg_dump --schema-only` files: existing indexes and column types for the index advisor.
  public var schemaPaths: [String]
  /// Whether to run the index advisor.
  public var adviseIndexes: Bool
  /// A libpq connection string: check suggestions with HypoPG on that database (read-only).
  public var dsn: String?
  /// Only records whose timestamps fall in this window count.
  public var window = TimeWindow()
  /// A --state file: read only what is new since the last run, and remember how far this run read.
  public var statePath: String?
  /// Called now and then while reading, for a progress display.
  public var progress: (@Sendable (ProgressUpdate) -> Void)?

  public init(
    paths: [String], format: LogFormat? = nil, prefix: LinePrefix? = nil, thresholdUs: Int64 = 30_000,
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

public struct ProgressUpdate: Sendable {
  public var file: String
  /// Bytes of the file as stored (compressed for gzip) read so far, and its size when it is a regular file.
  public var storedBytes: Int
  public var totalStoredBytes: Int?
  public var lines: Int
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

  /// Runs the analysis. Throws only when the --state file cannot be read, before anything else is done.
  public static func run(_ options: AnalysisOptions, now: Date = Date()) throws(ReadState.StateError) -> AnalysisResult
  {
    var aggregator = StatementAggregator(thresholdUs: options.thresholdUs)
    var diagnostics = Diagnostics()
    var files: [FileSummary] = []
    var runState = try options.statePath.map { path throws(ReadState.StateError) in
      RunState(state: try ReadState.load(path), now: now)
    }
    for path in options.paths {
      files.append(
        read(path: path, options: options, aggregator: &aggregator, diagnostics: &diagnostics, runState: &runState))
    }
    if let statePath = options.statePath, let runState {
      do {
        try runState.state.save(statePath)
      } catch {
        diagnostics.report(.stateFile, at: InputLocation(file: statePath), error.message)
      }
    }
    var advice: IndexAdvice?
    if options.adviseIndexes {
      var catalog = loadSchema(options.schemaPaths, diagnostics: &diagnostics)
      var validator: HypotheticalValidator?
      if let dsn = options.dsn {
        do {
          let connected = try HypotheticalValidator(dsn: dsn)
          catalog.merge(try connected.catalog())
          validator = connected
          if connected.hypoPGVersion == nil {
            diagnostics.report(
              .database, at: InputLocation(file: "--dsn"),
              "HypoPG is not installed in this database (CREATE EXTENSION hypopg, from the postgresql-15-hypopg "
                + "package); suggestions stay heuristic")
          }
        } catch {
          diagnostics.report(
            .database, at: InputLocation(file: "--dsn"), "\(error.message); suggestions stay heuristic")
        }
      }
      let summary = aggregator.summary
      let minutes = Double((summary.last?.epochMs ?? 0) - (summary.first?.epochMs ?? 0)) / 60_000
      var advisor = IndexAdvisor(catalog: catalog, thresholdUs: options.thresholdUs, minutes: minutes)
      var result = advisor.advise(aggregator.queries)
      if let validator, validator.hypoPGVersion != nil {
        validate(&result, with: validator, queries: aggregator.queries, catalog: catalog)
      }
      advice = result
    }
    let report = ReportBuilder.build(
      aggregator: aggregator, advice: advice, files: files, diagnostics: diagnostics,
      generator: "pgsift \(version)")
    return AnalysisResult(
      report: report, diagnostics: diagnostics, parserCalls: aggregator.parserCalls,
      fingerprintLookups: aggregator.fingerprinterLookups)
  }

  /// Checks each suggestion with HypoPG: keeps those that at least halve the planner's cost, drops the others,
  /// and leaves the ones it could not check as heuristic, saying why.
  static func validate(
    _ advice: inout IndexAdvice, with validator: HypotheticalValidator, queries: [QueryStats], catalog: SchemaCatalog
  ) {
    var examples: [Fingerprint: (text: String, calls: Int)] = [:]
    for query in queries { examples[query.fingerprint] = (query.example ?? query.normalized, query.calls) }
    var kept: [IndexSuggestion] = []
    for var suggestion in advice.suggestions {
      switch validator.validate(suggestion, examples: examples) {
      case .checked(var validation, let keep):
        validation.tableRows = catalog.rows(of: suggestion.table)
        suggestion.validation = validation
        if keep { kept.append(suggestion) } else { advice.rejected.append(suggestion) }
      case .unchecked(let reason):
        suggestion.reasons.append("not validated: \(reason)")
        kept.append(suggestion)
      }
    }
    advice.suggestions = kept
  }

  /// Reads the --schema files into one catalog; a file that cannot be read is an input problem.
  static func loadSchema(_ paths: [String], diagnostics: inout Diagnostics) -> SchemaCatalog {
    var catalog = SchemaCatalog()
    for path in paths {
      guard let data = FileManager.default.contents(atPath: path) else {
        diagnostics.report(.unreadableFile, at: InputLocation(file: path), "cannot read the schema file")
        continue
      }
      let unreadable = catalog.load(script: String(decoding: data, as: UTF8.self))
      if unreadable > 0 {
        diagnostics.report(
          .notice, at: InputLocation(file: path), "\(unreadable) statements of the schema could not be parsed; skipped")
      }
    }
    return catalog
  }

  /// A sampled line and where it ends, so that reading can resume after it.
  struct SampledLine {
    var bytes: [UInt8]
    var line: Int
    var endOffset: Int
    var unterminated: Bool
  }

  /// The last point where reading could stop and resume (end of a complete line that ends a record).
  struct Cursor {
    var offset: Int
    var line: Int
  }

  /// What the run keeps across files: the --state records, and which of them this run already used.
  struct RunState {
    var state: ReadState
    var consumed: Set<String> = []
    let now: Date
  }

  static func read(
    path: String, options: AnalysisOptions, aggregator: inout StatementAggregator, diagnostics: inout Diagnostics,
    runState: inout RunState?
  ) -> FileSummary {
    func empty(_ name: String, compressed: Bool, error: String?) -> FileSummary {
      FileSummary(
        path: name, format: nil, logLinePrefix: nil, compressed: compressed, bytes: 0, lines: 0, entries: 0,
        skippedLines: 0, blankLines: 0, invalidUTF8Lines: 0, error: error)
    }
    let input: InputFile
    do {
      input = try InputFile(path: path)
    } catch {
      diagnostics.report(.unreadableFile, at: InputLocation(file: path), "cannot open: \(error.reason)")
      return empty(path, compressed: false, error: "cannot open: \(error.reason)")
    }
    let name = input.displayName

    // --state: find the file by its first bytes and resume where the last run stopped.
    var head: [UInt8] = []
    var start = Cursor(offset: 0, line: 0)
    var remembered: DetectedFormat?
    let resumable = runState != nil && path != "-"
    if resumable, var run = runState {
      do {
        head = try input.head(ReadState.headBytes)
        if let record = run.state.match(head: head) {
          let key = record.headHash + "/" + String(record.headLength)
          if run.consumed.contains(key) {
            diagnostics.report(
              .notice, at: InputLocation(file: name), "same file as \(record.path), already read in this run; skipped")
            return empty(name, compressed: input.isCompressed, error: nil)
          }
          run.consumed.insert(key)
          if !input.isCompressed, let size = input.fileIdentity?.size, size < record.offset {
            diagnostics.report(
              .notice, at: InputLocation(file: name), "file was truncated since the last run; read from the start")
          } else {
            try input.skip(record.offset)
            start = Cursor(offset: record.offset, line: record.line)
            remembered = ReadState.format(of: record)
          }
        }
        runState = run
      } catch {
        diagnostics.report(.unreadableFile, at: InputLocation(file: name, byteOffset: error.byteOffset), error.message)
        return empty(name, compressed: input.isCompressed, error: error.message)
      }
    }

    let reader = LineReader(source: input.source, startingLine: start.line, startingOffset: start.offset)
    var readError: ByteSourceError?
    let totalSize = input.fileIdentity?.size
    let progress = options.progress.map { report in
      { (lines: Int) in
        report(
          ProgressUpdate(file: name, storedBytes: input.storedBytesConsumed, totalStoredBytes: totalSize, lines: lines))
      }
    }

    // Sample the first lines to find the format; they are replayed to the parser afterwards.
    var sample: [SampledLine] = []
    var sampleBytes = 0
    do {
      while sample.count < FormatDetector.sampleLines, sampleBytes < 4 << 20, let line = try reader.nextLine() {
        sample.append(
          SampledLine(
            bytes: Array(line), line: reader.lineNumber, endOffset: reader.bytesRead,
            unterminated: reader.lastLineUnterminated))
        sampleBytes += line.count
      }
    } catch {
      readError = error
    }

    if sample.isEmpty && readError == nil {
      // An empty log (a quiet server, a fresh rotation, nothing new since the last run) is not a problem.
      diagnostics.report(
        .notice, at: InputLocation(file: name), start.offset > 0 ? "nothing new since the last run" : "file is empty")
      var summary = empty(name, compressed: input.isCompressed, error: nil)
      summary.resumedAt = start.offset
      summary.resumedLine = start.line
      if resumable {
        remember(name, head: head, cursor: start, input: input, format: remembered, runState: &runState)
      }
      return summary
    }
    let detected: DetectedFormat
    do {
      if let remembered, options.format == nil && options.prefix == nil {
        detected = remembered
      } else {
        detected = try FormatDetector.detect(sample.map(\.bytes), format: options.format, prefix: options.prefix)
      }
    } catch {
      // Nothing to parse with: count every line as skipped, so the loss is visible.
      var lines = sample.count
      if readError == nil {
        do {
          while try reader.nextLine() != nil { lines += 1 }
        } catch {
          readError = error
        }
      }
      diagnostics.report(.unrecognizedLine, at: InputLocation(file: name, line: start.line + 1), error.message)
      var summary = FileSummary(
        path: name, format: nil, logLinePrefix: nil, compressed: input.isCompressed,
        bytes: reader.bytesRead - start.offset,
        lines: lines, entries: 0, skippedLines: lines, blankLines: 0, invalidUTF8Lines: 0, error: error.message)
      summary.resumedAt = start.offset
      summary.resumedLine = start.line
      if let readError { summary.error = report(readError, file: name, reader: reader, into: &diagnostics) }
      return summary
    }

    var sink = WindowFilter(downstream: EventClassifier(downstream: consume aggregator), window: options.window)
    let counts: ParseCounts
    let parserDiagnostics: Diagnostics
    let cursor: Cursor
    switch detected {
    case .stderr(let prefix):
      var parser = StderrParser(prefix: prefix, file: name)
      cursor = drive(
        &parser, sample: sample, reader: reader, into: &sink, readError: &readError, start: start, resumable: resumable,
        progress: progress)
      (counts, parserDiagnostics) = (parser.counts, parser.diagnostics)
    case .csvlog:
      var parser = CsvlogParser(file: name)
      cursor = drive(
        &parser, sample: sample, reader: reader, into: &sink, readError: &readError, start: start, resumable: resumable,
        progress: progress)
      (counts, parserDiagnostics) = (parser.counts, parser.diagnostics)
    case .jsonlog:
      var parser = JsonlogParser(file: name)
      cursor = drive(
        &parser, sample: sample, reader: reader, into: &sink, readError: &readError, start: start, resumable: resumable,
        progress: progress)
      (counts, parserDiagnostics) = (parser.counts, parser.diagnostics)
    }
    sink.downstream.finish()
    if sink.downstream.orphanSecondaryRecords > 0 {
      diagnostics.report(
        .notice, at: InputLocation(file: name),
        "\(sink.downstream.orphanSecondaryRecords) DETAIL/STATEMENT records had no record before them to belong to")
    }
    aggregator = sink.downstream.downstream
    diagnostics.merge(parserDiagnostics)

    var fileError: String?
    if let readError {
      fileError = report(readError, file: name, reader: reader, into: &diagnostics)
    } else if resumable {
      remember(name, head: head, cursor: cursor, input: input, format: detected, runState: &runState)
    }
    if let offset = input.trailingBytesOffset {
      diagnostics.report(
        .corruptCompression, at: InputLocation(file: name, byteOffset: offset),
        "data after the last gzip member is not gzip; ignored")
    }
    if reader.overlongLines > 0 {
      diagnostics.report(
        .notice, at: InputLocation(file: name),
        "\(reader.overlongLines) lines longer than \(LineReader.defaultMaxLineBytes >> 20) MiB were split")
    }
    var prefixText: String?
    if case .stderr(let prefix) = detected { prefixText = prefix.text }
    var summary = FileSummary(
      path: name, format: detected.format.rawValue, logLinePrefix: prefixText, compressed: input.isCompressed,
      bytes: reader.bytesRead - start.offset, lines: counts.lines, entries: counts.entries,
      skippedLines: counts.skippedLines, blankLines: counts.blankLines, invalidUTF8Lines: counts.invalidUTF8Lines,
      error: fileError)
    summary.resumedAt = start.offset
    summary.resumedLine = start.line
    summary.outsideWindow = sink.outside
    return summary
  }

  static func remember(
    _ name: String, head: [UInt8], cursor: Cursor, input: InputFile, format: DetectedFormat?, runState: inout RunState?
  ) {
    guard var run = runState, !head.isEmpty else { return }
    let record = ReadState.record(
      path: name, head: head, offset: cursor.offset, line: cursor.line, identity: input.fileIdentity, format: format,
      now: run.now)
    run.state.update(record, head: head, now: run.now)
    run.consumed.insert(record.headHash + "/" + String(record.headLength))
    runState = run
  }

  /// Feeds the sampled lines, then the rest of the input, to one parser. Generic so each parser and sink is
  /// specialized: this loop runs once per line. With --state (`resumable`), a last line without its newline is
  /// left for the next run, and so is a record still open at the end; the cursor says where that run starts.
  static func drive<P: LogParser, S: LogEntrySink>(
    _ parser: inout P, sample: [SampledLine], reader: LineReader, into sink: inout S, readError: inout ByteSourceError?,
    start: Cursor, resumable: Bool, progress: ((Int) -> Void)?
  ) -> Cursor {
    var cursor = start
    var stopped = false
    for line in sample {
      if resumable && line.unterminated {
        stopped = true
        break
      }
      line.bytes.withUnsafeBufferPointer { parser.feed($0, lineNumber: line.line, into: &sink) }
      if parser.atRecordBoundary { cursor = Cursor(offset: line.endOffset, line: line.line) }
    }
    if readError == nil && !stopped {
      do {
        var sinceProgress = 0
        while let line = try reader.nextLine() {
          if resumable && reader.lastLineUnterminated { break }
          parser.feed(line, lineNumber: reader.lineNumber, into: &sink)
          if parser.atRecordBoundary { cursor = Cursor(offset: reader.bytesRead, line: reader.lineNumber) }
          sinceProgress += 1
          if sinceProgress == 65_536, let progress {
            progress(reader.lineNumber)
            sinceProgress = 0
          }
        }
      } catch {
        readError = error
      }
    }
    // A record still open at the end is read whole by the next run; without --state it is finished now.
    if !resumable || parser.atRecordBoundary { parser.finish(into: &sink) }
    progress?(reader.lineNumber)
    return cursor
  }

  private static func report(
    _ error: ByteSourceError, file: String, reader: LineReader, into diagnostics: inout Diagnostics
  ) -> String {
    let text = "\(error.message); read stopped after line \(reader.lineNumber)"
    diagnostics.report(
      error.isCompression ? .corruptCompression : .unreadableFile,
      at: InputLocation(file: file, line: reader.lineNumber, byteOffset: error.byteOffset), text)
    return text
  }
}
