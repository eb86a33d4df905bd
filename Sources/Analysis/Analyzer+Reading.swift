// Reading one input: open, resume (--state), sample, detect the format, then cut the text into pieces at
// record boundaries and hand them to the work pool. Pieces come back in order and are folded into the file's
// aggregate; the file's end is a piece of its own, so that several files can be in flight at once.
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

  /// What parsing one chunk gave.
  struct ChunkResult {
    var classifier: EventClassifier<StatementAggregator>
    var counts: ParseCounts
    var diagnostics: Diagnostics
    var outside: Int
    /// Records the record filter left out.
    var filtered: Int
    var zoneNotes: ZoneNotes
  }

  /// What reading a file found besides its chunks, handed over after them.
  struct FileTail: Sendable {
    var summary: FileSummary
    /// Problems found before parsing (opening, resuming) and after it (read errors, trailing bytes).
    var before = Diagnostics()
    var after = Diagnostics()
    /// Lines read but not parsed: a last line still being written when the file grew while being read.
    var leftOut = 0
    /// Whether chunks were parsed, so that their counts make the summary's.
    var parsed = false
  }

  enum Piece {
    case chunk(ChunkResult)
    case tail(FileTail)
  }

  /// What every piece of one file is parsed with.
  struct PieceSettings: Sendable {
    var file: String
    var ordinal: Int
    var thresholdUs: Int64
    var intervalMs: Int64
    var window: TimeWindow
    var filter: RecordFilter
    var statementFilter: StatementFilter?
    var resumable: Bool
    var now: LogTime
    /// Whether lines the prefix does not match are read with a prefix inferred from them: yes when the prefix
    /// was inferred itself, no when the user gave it.
    var infersPrefix: Bool
    /// How the zones after timestamps are read (--log-timezone).
    var zones: LogTimeZone
    var fingerprintBudget: Int?
  }

  /// A parser with the stages behind it (time window, event classifier, aggregate), for one piece of a file.
  struct PieceParser<P: LogParser> {
    var parser: P
    var sink: WindowFilter<EventClassifier<StatementAggregator>>

    init(_ parser: P, settings: PieceSettings, midStream: Bool, fingerprinter: Fingerprinter) {
      var aggregator = StatementAggregator(
        thresholdUs: settings.thresholdUs, intervalMs: settings.intervalMs, fingerprinter: fingerprinter)
      aggregator.fileOrdinal = settings.ordinal
      aggregator.fingerprintBudget = settings.fingerprintBudget
      aggregator.statementFilter = settings.statementFilter
      self.parser = parser
      sink = WindowFilter(
        downstream: EventClassifier(downstream: aggregator, midStream: midStream), window: settings.window,
        filter: settings.filter)
    }

    mutating func feed(_ line: ByteView, lineNumber: Int) { parser.feed(line, lineNumber: lineNumber, into: &sink) }

    /// What the piece gave; `finishing` hands out the record still being assembled first.
    mutating func result(finishing: Bool) -> ChunkResult {
      if finishing { parser.finish(into: &sink) } else { parser.flush(into: &sink) }
      return ChunkResult(
        classifier: sink.downstream, counts: parser.counts, diagnostics: parser.diagnostics, outside: sink.outside,
        filtered: sink.filtered, zoneNotes: parser.zoneNotes)
    }
  }

  /// What each worker thread keeps: its own fingerprint cache.
  struct WorkerContext {
    var fingerprinter = Fingerprinter()
  }

  typealias Pool = WorkPool<WorkerContext, UncheckedPiece>

  /// Pieces cross threads inside the pool, one owner at a time.
  struct UncheckedPiece: @unchecked Sendable {
    var piece: Piece
  }

  /// Folds pieces, in input order, into the run's aggregate.
  struct Fold {
    var total: StatementAggregator
    var diagnostics = Diagnostics()
    var files: [FileSummary] = []
    /// The file being folded.
    private var classifier: EventClassifier<StatementAggregator>?
    private var counts = ParseCounts()
    private var fileDiagnostics = Diagnostics()
    private var outside = 0
    private var filtered = 0
    private var zoneNotes = ZoneNotes()
    private let fingerprinter: Fingerprinter

    init(total: StatementAggregator, fingerprinter: Fingerprinter) {
      self.total = total
      self.fingerprinter = fingerprinter
    }

    mutating func add(_ piece: Piece) {
      switch piece {
      case .chunk(let result):
        if classifier == nil {
          // The first chunk's aggregate takes the later ones in, on this thread: give it this thread's fingerprinter.
          classifier = result.classifier
          classifier!.downstream.use(fingerprinter)
          classifier!.downstream.continueSessions(of: &total)
        } else {
          classifier!.append(result.classifier) { aggregate, next, continuing in
            aggregate.merge(next, continuing: continuing)
          }
        }
        counts.merge(result.counts)
        fileDiagnostics.merge(result.diagnostics)
        outside += result.outside
        filtered += result.filtered
        zoneNotes.merge(result.zoneNotes)
      case .tail(let tail):
        endFile(tail)
      }
    }

    private mutating func endFile(_ tail: FileTail) {
      var summary = tail.summary
      diagnostics.merge(tail.before)
      diagnostics.merge(fileDiagnostics)
      if let line = zoneNotes.unknownLine {
        diagnostics.report(
          .notice, at: InputLocation(file: summary.path, line: line),
          "time zone abbreviation not known; times are read as UTC (give --log-timezone)")
      }
      if let ambiguous = zoneNotes.ambiguous {
        diagnostics.report(
          .notice, at: InputLocation(file: summary.path, line: ambiguous.line),
          LogTimeZone.ambiguityNote(ambiguous.zone, alternatives: ambiguous.alternatives))
      }
      if var classifier {
        classifier.finish()
        if classifier.orphanSecondaryRecords > 0 {
          diagnostics.report(
            .notice, at: InputLocation(file: summary.path),
            "\(classifier.orphanSecondaryRecords) DETAIL/STATEMENT records had no record before them to belong to")
        }
        var aggregate = classifier.downstream
        aggregate.endFile()
        if let (word, count) = aggregate.summary.localizedDurations.max(by: { ($0.value, $1.key) < ($1.value, $0.key) })
        {
          diagnostics.report(
            .localizedMessages, at: InputLocation(file: summary.path),
            "the server's messages are not in English: \(count) records read '\(word): … ms' for "
              + "'duration: … ms'\(LocalizedMessages.language(ofDuration: word).map { " (\($0))" } ?? ""); pgsift reads PostgreSQL's "
              + "English messages, so their statements, errors and events are not counted. Set lc_messages = 'C' "
              + "in postgresql.conf")
        }
        total.merge(aggregate)
      }
      diagnostics.merge(tail.after)
      if tail.parsed {
        summary.lines = counts.lines + tail.leftOut
        summary.entries = counts.entries
        summary.skippedLines = counts.skippedLines + tail.leftOut
        summary.blankLines = counts.blankLines
        summary.invalidUTF8Lines = counts.invalidUTF8Lines
        summary.outsideWindow = outside
        summary.filteredRecords = filtered
        summary.prefixReadings = counts.recordsByPrefix.map { NameCount(name: $0.key, calls: $0.value) }
          .sorted { ($0.calls, $1.name) > ($1.calls, $0.name) }
        if summary.prefixReadings.count > 1 {
          let others = summary.prefixReadings.filter { $0.name != summary.logLinePrefix }
            .map { "\($0.calls) with '\($0.name)'" }.joined(separator: ", ")
          diagnostics.report(
            .notice, at: InputLocation(file: summary.path),
            "records read with other readings of the prefix than '\(summary.logLinePrefix ?? "")': \(others)")
        }
        summary.otherProgramLines = counts.otherProgramLines
        summary.otherPrograms = counts.otherPrograms.map { NameCount(name: $0.key, calls: $0.value) }
          .sorted { ($0.calls, $1.name) > ($1.calls, $0.name) }
        if counts.otherProgramLines > 0 {
          let named = summary.otherPrograms.prefix(5).map { "\($0.name) \($0.calls)" }.joined(separator: ", ")
          diagnostics.report(
            .notice, at: InputLocation(file: summary.path),
            "\(counts.otherProgramLines) lines of other programs passed over (\(named)"
              + "\(summary.otherPrograms.count > 5 ? ", …" : ""))")
        }
      }
      files.append(summary)
      classifier = nil
      counts = ParseCounts()
      fileDiagnostics = Diagnostics()
      outside = 0
      filtered = 0
      zoneNotes = ZoneNotes()
    }
  }

  /// How reading is split up.
  struct Reading {
    var options: AnalysisOptions
    var pool: Pool
    var chunkBytes: Int
    /// The run's clock, for syslog times that have no year.
    var now: LogTime
  }

  static func read(
    path: String, ordinal: Int, reading: Reading, fold: inout Fold, runState: inout RunState?,
    inputs: inout InputRegistry
  ) {
    let options = reading.options
    func submit(_ piece: Piece) {
      let unchecked = UncheckedPiece(piece: piece)
      reading.pool.submit({ _ in unchecked }, receive: { fold.add($0.piece) })
    }
    func empty(_ name: String, compressed: Bool, error: String?) -> FileSummary {
      FileSummary(
        path: name, format: nil, logLinePrefix: nil, compressed: compressed, bytes: 0, lines: 0, entries: 0,
        skippedLines: 0, blankLines: 0, invalidUTF8Lines: 0, error: error)
    }
    var tail = FileTail(summary: empty(path, compressed: false, error: nil))
    let input: InputFile
    do {
      input = try InputFile(path: path)
    } catch {
      tail.before.report(.unreadableFile, at: InputLocation(file: path), "cannot open: \(error.reason)")
      tail.summary.error = "cannot open: \(error.reason)"
      return submit(.tail(tail))
    }
    let name = input.displayName
    // The size when opened: what a file truncated under the reader is measured against.
    let totalSize = input.fileIdentity?.size
    tail.summary = empty(name, compressed: input.isCompressed, error: nil)
    tail.summary.compression = input.compression?.rawValue
    // Content decides how a file is read, not its name; a name that says otherwise is worth a word.
    if let (suffix, named) = Self.compressionSuffixes.first(where: { path.hasSuffix($0.0) }), named != input.compression
    {
      tail.before.report(
        .notice, at: InputLocation(file: name),
        "named \(suffix) but holds \(input.compression.map { "\($0.rawValue) data" } ?? "no compressed data"); read as "
          + (input.compression?.rawValue ?? "plain text"))
    }

    // The first bytes of the text say which file this is: for --state, for telling a copy, for merge.
    var head: [UInt8] = []
    do {
      head = try input.head(ReadState.headBytes)
    } catch {
      tail.before.report(.unreadableFile, at: InputLocation(file: name, byteOffset: error.byteOffset), error.message)
      tail.summary.error = error.message
      return submit(.tail(tail))
    }
    tail.summary.headHash = head.isEmpty ? nil : ReadState.hash(head[...])
    tail.summary.headLength = head.count
    switch inputs.place(input, name: name, head: head) {
    case .sameFile(let earlier):
      tail.before.report(
        .notice, at: InputLocation(file: name),
        "the same file as \(earlier) (given again, or through a link); read once")
      tail.summary.duplicateOf = earlier
      return submit(.tail(tail))
    case .copy(let earlier):
      tail.before.report(
        .notice, at: InputLocation(file: name),
        "a copy of \(earlier) (the same size, first and last bytes); read once")
      tail.summary.duplicateOf = earlier
      return submit(.tail(tail))
    case .sameStart(let earlier):
      tail.before.report(
        .notice, at: InputLocation(file: name),
        "starts as \(earlier) does: if one is a copy of the other taken earlier, the lines they share are counted "
          + "twice")
    case .new:
      break
    }

    // --state: find the file by its first bytes and resume where the last run stopped.
    var start = Cursor(offset: 0, line: 0)
    var remembered: DetectedFormat?
    let resumable = runState != nil && path != "-"
    if resumable, var run = runState {
      do {
        if let record = run.state.match(head: head) {
          let key = record.headHash + "/" + String(record.headLength)
          if run.consumed.contains(key) {
            tail.before.report(
              .notice, at: InputLocation(file: name), "same file as \(record.path), already read in this run; skipped")
            return submit(.tail(tail))
          }
          run.consumed.insert(key)
          if !input.isCompressed, let size = input.fileIdentity?.size, size < record.offset {
            tail.before.report(
              .notice, at: InputLocation(file: name), "file was truncated since the last run; read from the start")
          } else {
            try input.skip(record.offset)
            start = Cursor(offset: record.offset, line: record.line)
            remembered = ReadState.format(of: record)
          }
        }
        runState = run
      } catch {
        tail.before.report(
          .unreadableFile, at: InputLocation(file: name, byteOffset: error.byteOffset), error.message)
        tail.summary.error = error.message
        return submit(.tail(tail))
      }
    }
    tail.summary.resumedAt = start.offset
    tail.summary.resumedLine = start.line

    let reader = LineReader(source: input.source, startingLine: start.line, startingOffset: start.offset)
    var readError: ByteSourceError?
    /// Whether a last line without its line end is left unread: with --state always (the next run reads it
    /// whole); otherwise when the file grew since it was opened, so that the line is still being written.
    func leavesUnterminatedLine() -> Bool {
      if resumable { return true }
      guard path != "-", let opened = totalSize, let size = input.fileIdentity?.size, size > opened else {
        return false
      }
      tail.leftOut = 1
      tail.after.report(
        .notice, at: InputLocation(file: name, line: reader.lineNumber),
        "last line has no line end and the file grew while being read: it was still being written; left out")
      return true
    }
    let progress = options.progress.map { report in
      { (lines: Int) in
        report(
          ProgressUpdate(file: name, storedBytes: input.storedBytesConsumed, totalStoredBytes: totalSize, lines: lines))
      }
    }

    /// Whether the file is now shorter than when it was opened or than what was read of it: truncated under
    /// the reader (a copytruncate rotation, a cleanup), so what it had not read yet is gone. Says so if it is.
    func checkShrinking() -> Bool {
      guard path != "-", let opened = totalSize, let size = input.fileIdentity?.size else { return false }
      let consumed = input.storedBytesConsumed
      guard size < consumed || consumed < opened else { return false }
      let text =
        "file shrank from \(opened) to \(size) bytes while being read (truncated? rotated by copytruncate?); "
        + "read stopped after line \(reader.lineNumber)"
      tail.after.report(
        .unreadableFile, at: InputLocation(file: name, line: reader.lineNumber, byteOffset: consumed), text)
      tail.summary.error = text
      return true
    }

    // Sample the first lines to find the format; they are read again as the start of the first chunk.
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
      if checkShrinking() { return submit(.tail(tail)) }
      // An empty log (a quiet server, a fresh rotation, nothing new since the last run) is not a problem.
      tail.before.report(
        .notice, at: InputLocation(file: name), start.offset > 0 ? "nothing new since the last run" : "file is empty")
      if resumable {
        remember(name, head: head, cursor: start, input: input, format: remembered, runState: &runState)
      }
      // Nothing new: the file is what the last run found it to be.
      tail.summary.format = remembered?.format.rawValue
      tail.summary.logLinePrefix = remembered?.linePrefix?.text
      return submit(.tail(tail))
    }
    let detected: DetectedFormat
    do throws(DetectionError) {
      // Lines ended by a carriage return alone (a file converted to old Mac endings) read as one line.
      if sample.count == 1, sample[0].bytes.count(where: { $0 == 0x0D }) >= 2 {
        throw DetectionError(
          message:
            "lines end in a carriage return (\\r) alone, not a newline: PostgreSQL never writes that; convert the "
            + "file with tr '\\r' '\\n'")
      }
      if let remembered, options.format == nil && options.prefix == nil {
        detected = remembered
      } else {
        // The head alone may not show a minority's fields or a background process's line: lines from
        // several places further in (a plain file's) are sampled too.
        var lines = sample.map(\.bytes)
        var windowStarts: [Int] = []
        for window in input.sampleWindows(
          after: sample.last?.endOffset ?? 0, windows: Self.sampleWindows, linesEach: Self.linesPerWindow)
        {
          windowStarts.append(lines.count)
          lines += window
        }
        let detection = try FormatDetector.detection(
          lines, windowStarts: windowStarts, format: options.format, prefix: options.prefix)
        detected = detection.format
        tail.summary.prefixInference = detection.inference.map(Self.report)
        for warning in detection.warnings {
          tail.before.report(.notice, at: InputLocation(file: name, line: start.line + 1), warning)
        }
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
      tail.before.report(.unrecognizedLine, at: InputLocation(file: name, line: start.line + 1), error.message)
      tail.summary.bytes = reader.bytesRead - start.offset
      tail.summary.lines = lines
      tail.summary.skippedLines = lines
      tail.summary.error = error.message
      if let readError { tail.summary.error = report(readError, file: name, reader: reader, into: &tail.after) }
      return submit(.tail(tail))
    }

    var sinceProgress = 0
    /// Counts lines read, and reports progress every 65,536.
    func advance(_ lines: Int) {
      sinceProgress += lines
      if sinceProgress >= 65_536, let progress {
        progress(reader.lineNumber)
        sinceProgress = 0
      }
    }
    /// Hands the sampled lines to `body` (with each one's number and where it ends); false when --state leaves
    /// the last one, without its newline, for the next run.
    func eachSampledLine(_ body: (ByteView, _ number: Int, _ endOffset: Int) -> Void) -> Bool {
      for line in sample {
        if line.unterminated && leavesUnterminatedLine() { return false }
        line.bytes.withUnsafeBufferPointer { body($0, line.line, line.endOffset) }
      }
      return true
    }
    /// The sampled lines, then each line still to read; with --state a last line without its newline is left
    /// for the next run.
    func eachLine(_ body: (ByteView, _ number: Int, _ endOffset: Int) -> Void) {
      guard eachSampledLine(body), readError == nil else { return }
      do {
        while let line = try reader.nextLine() {
          if reader.lastLineUnterminated && leavesUnterminatedLine() { break }
          body(line, reader.lineNumber, reader.bytesRead)
          advance(1)
        }
      } catch {
        readError = error
      }
    }
    let settings = PieceSettings(
      file: name, ordinal: ordinal, thresholdUs: options.thresholdUs, intervalMs: options.intervalMs,
      window: options.window, filter: options.filter, statementFilter: options.statementFilter, resumable: resumable,
      now: reading.now, infersPrefix: options.prefix == nil,
      zones: options.logTimeZone, fingerprintBudget: options.fingerprintBudget)
    var cursor = start
    // Syslog and logplex, where a process's record may get pieces after other processes' lines, and cloud
    // exports whose records span lines (gcloud's array): the file is read in order on this thread, as one piece.
    func readInOrder<P: LogParser>(_ parser: P) {
      var piece = PieceParser(parser, settings: settings, midStream: false, fingerprinter: Fingerprinter())
      eachLine { line, number, endOffset in
        piece.feed(line, lineNumber: number)
        if piece.parser.atRecordBoundary { cursor = Cursor(offset: endOffset, line: number) }
      }
      progress?(reader.lineNumber)
      submit(.chunk(piece.result(finishing: !resumable || piece.parser.atRecordBoundary)))
    }
    if let serial = Self.serialParser(detected, file: name, now: reading.now, zones: options.logTimeZone) {
      switch serial {
      case .syslog(let parser): readInOrder(parser)
      case .cloud(let parser): readInOrder(parser)
      }
    } else {
      // Cut the text into chunks at record boundaries; the pool parses them while the next ones are read.
      func submit(_ chunk: PieceCutter.Piece) {
        reading.pool.submit(
          { context in
            UncheckedPiece(
              piece: .chunk(parse(chunk, format: detected, settings: settings, fingerprinter: context.fingerprinter)))
          }, receive: { fold.add($0.piece) })
      }
      var cutter = PieceCutter(detected, pieceBytes: reading.chunkBytes)
      func add(_ line: ByteView, number: Int, endOffset: Int) {
        if let piece = cutter.add(line: line, number: number) { submit(piece) }
        if cutter.atBoundary { cursor = Cursor(offset: endOffset, line: number) }
      }
      func add(_ block: LineReader.Block, lastLine: Int, endOffset: Int) {
        if let piece = cutter.add(block, lastLine: lastLine) { submit(piece) }
        cursor = Cursor(offset: endOffset, line: lastLine)
      }
      if case .csvlog = detected {
        eachLine { add($0, number: $1, endOffset: $2) }
      } else {
        // The sample line by line, then whole blocks.
        if eachSampledLine({ add($0, number: $1, endOffset: $2) }) && readError == nil {
          do {
            while let block = try reader.nextBlock() {
              if !block.terminated && reader.lastLineUnterminated && leavesUnterminatedLine() { break }
              add(block, lastLine: reader.lineNumber, endOffset: reader.bytesRead)
              advance(block.lines)
            }
          } catch {
            readError = error
          }
        }
      }
      progress?(reader.lineNumber)
      submit(cutter.finish())
      let leftOut = cutter.leftOut
      if leftOut.lines > 0 {
        tail.after.report(
          .malformedRecord, at: InputLocation(file: name, line: leftOut.firstLine),
          "a record longer than \(PieceCutter.recordLimit >> 20) MiB: its \(leftOut.lines) lines from here "
            + "(\(leftOut.bytes) bytes) are left out; the record is read up to there")
      }
    }

    if let readError { tail.summary.error = report(readError, file: name, reader: reader, into: &tail.after) }
    if readError == nil, !checkShrinking(), path != "-", let opened = totalSize, let size = input.fileIdentity?.size {
      if size > opened {
        tail.after.report(
          .notice, at: InputLocation(file: name, line: reader.lineNumber),
          "file grew from \(opened) to \(size) bytes while being read; read up to byte \(input.storedBytesConsumed)")
      }
    }
    // Even after a read error: what came before the cursor was counted and must not be counted again.
    if resumable { remember(name, head: head, cursor: cursor, input: input, format: detected, runState: &runState) }
    if let offset = input.trailingBytesOffset {
      let format = input.compression?.rawValue ?? "compressed"
      tail.after.report(
        .corruptCompression, at: InputLocation(file: name, byteOffset: offset),
        "data after the last \(format) member is not \(format) data; ignored")
    }
    if reader.overlongLines > 0 {
      tail.after.report(
        .notice, at: InputLocation(file: name),
        "\(reader.overlongLines) lines longer than \(LineReader.defaultMaxLineBytes >> 20) MiB were split")
    }
    tail.summary.format = detected.format.rawValue
    tail.summary.logLinePrefix = detected.linePrefix?.text
    tail.summary.bytes = reader.bytesRead - start.offset
    tail.parsed = true
    submit(.tail(tail))
  }

  /// Parses one chunk on a worker thread. A chunk after the first reads in mid-stream mode: what depends on
  /// records before it is kept for the fold.
  static func parse(
    _ chunk: PieceCutter.Piece, format: DetectedFormat, settings: PieceSettings, fingerprinter: Fingerprinter
  ) -> ChunkResult {
    let file = settings.file
    // One generic call per format, so each parser's loop is specialized.
    func run<P: LogParser>(_ parser: P) -> ChunkResult {
      var piece = PieceParser(parser, settings: settings, midStream: chunk.index > 0, fingerprinter: fingerprinter)
      chunk.bytes.withUnsafeBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return }
        var offset = 0
        var number = chunk.firstLine
        while offset < buffer.count {
          let newline = memchr(base + offset, 0x0A, buffer.count - offset)!
          let length = UnsafeRawPointer(base + offset).distance(to: UnsafeRawPointer(newline))
          // A `\r` before the newline is not part of the line, as `LineReader.nextLine` has it.
          let text = length > 0 && base[offset + length - 1] == 0x0D ? length - 1 : length
          piece.feed(ByteView(start: base + offset, count: text), lineNumber: number)
          offset += length + 1
          number += 1
        }
      }
      // A record still open at the end is read whole by the next run; without --state it is finished now.
      return piece.result(finishing: !(chunk.isLast && settings.resumable) || piece.parser.atRecordBoundary)
    }
    let zones = settings.zones
    switch format {
    case .stderr(let prefix):
      return run(
        StderrParser(prefix: prefix.reading(zones), file: file, linesStay: true, recovers: settings.infersPrefix))
    case .csvlog: return run(CsvlogParser(file: file, zones: zones))
    case .jsonlog: return run(JsonlogParser(file: file, zones: zones))
    case .pgbouncer: return run(PgBouncerParser(file: file, zones: zones))
    case .cloudnativepg: return run(CloudNativePGParser(file: file, zones: zones))
    case .cloudExport(let provider, let prefix, oneALine: true):
      // Every piece knows from detection, even one that starts at a record cut short.
      return run(CloudExportParser(provider: provider, prefix: prefix.reading(zones), file: file, oneALine: true))
    case .syslog, .logplex, .cloudExport:
      // Read whole on the reading thread instead (see `read`); a chunk of it parses like one.
      switch serialParser(format, file: file, now: settings.now, zones: zones)! {
      case .syslog(let parser): return run(parser)
      case .cloud(let parser): return run(parser)
      }
    }
  }

  /// The parsers of formats read in order, whole.
  enum SerialParser {
    case syslog(SyslogParser)
    case cloud(CloudExportParser)
  }

  static func serialParser(_ format: DetectedFormat, file: String, now: LogTime, zones: LogTimeZone) -> SerialParser? {
    switch format {
    case .syslog(let prefix), .logplex(let prefix):
      .syslog(SyslogParser(prefix: prefix.reading(zones), file: file, now: now))
    case .cloudExport(let provider, let prefix, oneALine: false):
      .cloud(CloudExportParser(provider: provider, prefix: prefix.reading(zones), file: file))
    case .stderr, .csvlog, .jsonlog, .pgbouncer, .cloudnativepg, .cloudExport(_, _, oneALine: true): nil
    }
  }

  /// Stretches of a plain file sampled beyond its head for detection, and lines taken from each.
  static let sampleWindows = 8
  static let linesPerWindow = 250

  static func report(_ inference: PrefixInference) -> PrefixInferenceReport {
    PrefixInferenceReport(
      confidence: inference.confidence.rawValue, sampledRecords: inference.sampledRecords,
      matchedRecords: inference.matchedRecords, evidence: inference.evidence, doubts: inference.doubts,
      alternates: inference.alternates.map(\.text))
  }

  /// File name endings that say a file is compressed.
  static let compressionSuffixes: [(String, Compression)] = [
    (".gz", .gzip), (".bz2", .bzip2), (".xz", .xz), (".zst", .zstd),
  ]

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
