// Reading one input: open, resume (--state), sample, detect the format, stream the lines through the stages.
import Advisors
import Fingerprint
import Foundation
import LiveValidation
import LogFormats
import LogInput
import Reports
import ServerEvents
import Statistics

extension Analyzer {
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
    // One generic call per format, so each parser's loop is specialized.
    func parse<P: LogParser>(_ parser: P) -> (Cursor, ParseCounts, Diagnostics) {
      var parser = parser
      let cursor = drive(
        &parser, sample: sample, reader: reader, into: &sink, readError: &readError, start: start, resumable: resumable,
        progress: progress)
      return (cursor, parser.counts, parser.diagnostics)
    }
    let (cursor, counts, parserDiagnostics) =
      switch detected {
      case .stderr(let prefix): parse(StderrParser(prefix: prefix, file: name))
      case .csvlog: parse(CsvlogParser(file: name))
      case .jsonlog: parse(JsonlogParser(file: name))
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
    if let readError { fileError = report(readError, file: name, reader: reader, into: &diagnostics) }
    // Even after a read error: what came before the cursor was counted and must not be counted again.
    if resumable { remember(name, head: head, cursor: cursor, input: input, format: detected, runState: &runState) }
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

  static func report(
    _ error: ByteSourceError, file: String, reader: LineReader, into diagnostics: inout Diagnostics
  ) -> String {
    let text = "\(error.message); read stopped after line \(reader.lineNumber)"
    diagnostics.report(
      error.isCompression ? .corruptCompression : .unreadableFile,
      at: InputLocation(file: file, line: reader.lineNumber, byteOffset: error.byteOffset), text)
    return text
  }
}
