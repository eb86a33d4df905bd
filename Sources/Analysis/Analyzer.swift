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

public struct AnalysisResult: Sendable {
  public var report: AnalysisReport
  public var diagnostics: Diagnostics
  /// How many statements libpg_query was asked about, against how many were looked up.
  public var parserCalls: Int
  public var fingerprintLookups: Int
}

public enum Analyzer {
  public static let version = "0.1.0"

  public static func run(_ options: AnalysisOptions) -> AnalysisResult {
    var aggregator = StatementAggregator(thresholdUs: options.thresholdUs)
    var diagnostics = Diagnostics()
    var files: [FileSummary] = []
    for path in options.paths {
      files.append(read(path: path, options: options, aggregator: &aggregator, diagnostics: &diagnostics))
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
          diagnostics.report(.database, at: InputLocation(file: "--dsn"), "\(error.message); suggestions stay heuristic")
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

  static func read(
    path: String, options: AnalysisOptions, aggregator: inout StatementAggregator, diagnostics: inout Diagnostics
  ) -> FileSummary {
    let input: InputFile
    do {
      input = try InputFile(path: path)
    } catch {
      diagnostics.report(.unreadableFile, at: InputLocation(file: path), "cannot open: \(error.reason)")
      return FileSummary(
        path: path, format: nil, logLinePrefix: nil, compressed: false, bytes: 0, lines: 0, entries: 0,
        skippedLines: 0, blankLines: 0, invalidUTF8Lines: 0, error: "cannot open: \(error.reason)")
    }
    let name = input.displayName
    let reader = LineReader(source: input.source)
    var readError: ByteSourceError?

    // Sample the first lines to find the format; they are replayed to the parser afterwards.
    var sample: [[UInt8]] = []
    var sampleBytes = 0
    do {
      while sample.count < FormatDetector.sampleLines, sampleBytes < 4 << 20, let line = try reader.nextLine() {
        sample.append(Array(line))
        sampleBytes += line.count
      }
    } catch {
      readError = error
    }

    if sample.isEmpty && readError == nil {
      // An empty log (a quiet server, a fresh rotation) is not a problem; there is just nothing in it.
      diagnostics.report(.notice, at: InputLocation(file: name), "file is empty")
      return FileSummary(
        path: name, format: nil, logLinePrefix: nil, compressed: input.isCompressed, bytes: 0, lines: 0,
        entries: 0, skippedLines: 0, blankLines: 0, invalidUTF8Lines: 0, error: nil)
    }
    let detected: DetectedFormat
    do {
      detected = try FormatDetector.detect(sample, format: options.format, prefix: options.prefix)
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
      diagnostics.report(.unrecognizedLine, at: InputLocation(file: name, line: 1), error.message)
      var summary = FileSummary(
        path: name, format: nil, logLinePrefix: nil, compressed: input.isCompressed, bytes: reader.bytesRead,
        lines: lines, entries: 0, skippedLines: lines, blankLines: 0, invalidUTF8Lines: 0, error: error.message)
      if let readError { summary.error = report(readError, file: name, reader: reader, into: &diagnostics) }
      return summary
    }

    var classifier = EventClassifier(downstream: consume aggregator)
    let counts: ParseCounts
    let parserDiagnostics: Diagnostics
    switch detected {
    case .stderr(let prefix):
      var parser = StderrParser(prefix: prefix, file: name)
      drive(&parser, sample: sample, reader: reader, into: &classifier, readError: &readError)
      (counts, parserDiagnostics) = (parser.counts, parser.diagnostics)
    case .csvlog:
      var parser = CsvlogParser(file: name)
      drive(&parser, sample: sample, reader: reader, into: &classifier, readError: &readError)
      (counts, parserDiagnostics) = (parser.counts, parser.diagnostics)
    case .jsonlog:
      var parser = JsonlogParser(file: name)
      drive(&parser, sample: sample, reader: reader, into: &classifier, readError: &readError)
      (counts, parserDiagnostics) = (parser.counts, parser.diagnostics)
    }
    classifier.finish()
    if classifier.orphanSecondaryRecords > 0 {
      diagnostics.report(
        .notice, at: InputLocation(file: name),
        "\(classifier.orphanSecondaryRecords) DETAIL/STATEMENT records had no record before them to belong to")
    }
    aggregator = classifier.downstream
    diagnostics.merge(parserDiagnostics)

    var fileError: String?
    if let readError { fileError = report(readError, file: name, reader: reader, into: &diagnostics) }
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
    return FileSummary(
      path: name, format: detected.format.rawValue, logLinePrefix: prefixText, compressed: input.isCompressed,
      bytes: reader.bytesRead, lines: counts.lines, entries: counts.entries, skippedLines: counts.skippedLines,
      blankLines: counts.blankLines, invalidUTF8Lines: counts.invalidUTF8Lines, error: fileError)
  }

  /// Feeds the sampled lines, then the rest of the input, to one parser. Generic so each parser and sink is
  /// specialized: this loop runs once per line.
  static func drive<P: LogParser, S: LogEntrySink>(
    _ parser: inout P, sample: [[UInt8]], reader: LineReader, into sink: inout S, readError: inout ByteSourceError?
  ) {
    for (index, line) in sample.enumerated() {
      line.withUnsafeBufferPointer { parser.feed($0, lineNumber: index + 1, into: &sink) }
    }
    if readError == nil {
      do {
        while let line = try reader.nextLine() {
          parser.feed(line, lineNumber: reader.lineNumber, into: &sink)
        }
      } catch {
        readError = error
      }
    }
    parser.finish(into: &sink)
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
