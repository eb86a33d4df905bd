// One input being read: opened, placed among the inputs before it, resumed, sampled, its format found, then
// its lines cut into pieces (or read in order) for the consumer. What it found besides the pieces is `end`.
import Foundation
import LogFormats
import LogInput

final class FileReading {
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

  let path: String
  let options: ReadingOptions
  private(set) var end: FileEnd
  private var name: String
  private var input: InputFile!
  private var reader: LineReader!
  /// The size when opened: what a file truncated or grown under the reader is measured against.
  private var openedSize: Int?
  private var resumable = false
  private var start = Cursor(offset: 0, line: 0)
  private var cursor = Cursor(offset: 0, line: 0)
  private var sample: [SampledLine] = []
  private var readError: ByteSourceError?
  private var sinceProgress = 0

  init(path: String, options: ReadingOptions) {
    self.path = path
    self.options = options
    name = path
    end = FileEnd(summary: Self.empty(path, compression: nil))
  }

  static func empty(_ name: String, compression: Compression?) -> FileSummary {
    var summary = FileSummary(
      path: name, format: nil, logLinePrefix: nil, compressed: compression != nil, bytes: 0, lines: 0, entries: 0,
      skippedLines: 0, blankLines: 0, invalidUTF8Lines: 0, error: nil)
    summary.compression = compression
    return summary
  }

  private func location(line: Int? = nil, byteOffset: Int? = nil) -> InputLocation {
    InputLocation(file: name, line: line, byteOffset: byteOffset)
  }

  func read<C: PieceConsumer>(
    ordinal: Int, inputs: inout InputRegistry, resume: inout ResumePoints?, into consumer: inout C
  ) {
    do {
      input = try InputFile(path: path)
    } catch {
      end.before.report(.unreadableFile, at: location(), "cannot open: \(error.reason)")
      end.summary.error = "cannot open: \(error.reason)"
      return
    }
    name = input.displayName
    openedSize = input.fileIdentity?.size
    end.summary = Self.empty(name, compression: input.compression)
    // Content decides how a file is read, not its name; a name that says otherwise is worth a word.
    if let (suffix, named) = LogReader.compressionSuffixes.first(where: { path.hasSuffix($0.0) }),
      named != input.compression
    {
      end.before.report(
        .notice, at: location(),
        "named \(suffix) but holds \(input.compression.map { "\($0.rawValue) data" } ?? "no compressed data"); read as "
          + (input.compression?.rawValue ?? "plain text"))
    }
    // The first bytes of the text say which file this is: for --state, for telling a copy, for merge.
    let head: [UInt8]
    do {
      head = try input.head(ReadPositions.headBytes)
    } catch {
      end.before.report(.unreadableFile, at: location(byteOffset: error.byteOffset), error.message)
      end.summary.error = error.message
      return
    }
    end.summary.headHash = head.isEmpty ? nil : ReadPositions.hash(head[...])
    end.summary.headLength = head.count
    guard place(in: &inputs, head: head) else { return }
    resumable = resume != nil && path != "-"
    var remembered: DetectedFormat?
    if resumable {
      switch self.resume(head: head, from: &resume!) {
      case .notRead: return
      case .from(let format): remembered = format
      }
    }
    end.summary.resumedAt = start.offset
    end.summary.resumedLine = start.line
    reader = LineReader(source: input.source, startingLine: start.line, startingOffset: start.offset)
    cursor = start
    takeSample()
    if sample.isEmpty && readError == nil {
      if shrank() { return }
      // An empty log (a quiet server, a fresh rotation, nothing new since the last run) is not a problem.
      end.before.report(.notice, at: location(), start.offset > 0 ? "nothing new since the last run" : "file is empty")
      if resumable { remember(head: head, format: remembered, in: &resume!) }
      // Nothing new: the file is what the last run found it to be.
      end.summary.format = remembered?.format
      end.summary.logLinePrefix = remembered?.linePrefix?.text
      return
    }
    guard let format = detect(remembered: remembered) else { return }
    let context = FileContext(
      name: name, ordinal: ordinal, format: format, resumable: resumable, infersPrefix: options.prefix == nil,
      zones: options.zones, now: options.now)
    if let serial = context.serialParser {
      switch serial {
      case .syslog(let parser): readInOrder(parser, context: context, into: &consumer)
      case .cloud(let parser): readInOrder(parser, context: context, into: &consumer)
      }
    } else {
      cut(context, into: &consumer)
    }
    finish(format: format)
    // Even after a read error: what came before the cursor was counted and must not be counted again.
    if resumable { remember(head: head, format: format, in: &resume!) }
  }

  /// Places the input among those read before; false when it is one of them, read once.
  private func place(in inputs: inout InputRegistry, head: [UInt8]) -> Bool {
    switch inputs.place(input, name: name, head: head) {
    case .sameFile(let earlier):
      end.before.report(
        .notice, at: location(), "the same file as \(earlier) (given again, or through a link); read once")
      end.summary.duplicateOf = earlier
      return false
    case .copy(let earlier):
      end.before.report(
        .notice, at: location(), "a copy of \(earlier) (the same size, first and last bytes); read once")
      end.summary.duplicateOf = earlier
      return false
    case .sameStart(let earlier):
      end.before.report(
        .notice, at: location(),
        "starts as \(earlier) does: if one is a copy of the other taken earlier, the lines they share are counted "
          + "twice")
      return true
    case .new:
      return true
    }
  }

  /// Where a file is read from with --state.
  private enum Resumed {
    /// Read on, with the format the last run found (if any).
    case from(DetectedFormat?)
    /// Not read: already read in this run, or the skip failed.
    case notRead
  }

  /// --state: finds the file by its first bytes and skips to where the last run stopped.
  private func resume(head: [UInt8], from points: inout ResumePoints) -> Resumed {
    guard let position = points.positions.match(head: head) else { return .from(nil) }
    let key = ResumePoints.key(position)
    if points.consumed.contains(key) {
      end.before.report(.notice, at: location(), "same file as \(position.path), already read in this run; skipped")
      return .notRead
    }
    points.consumed.insert(key)
    if !input.isCompressed, let size = input.fileIdentity?.size, size < position.offset {
      end.before.report(.notice, at: location(), "file was truncated since the last run; read from the start")
      return .from(nil)
    }
    do {
      try input.skip(position.offset)
    } catch {
      end.before.report(.unreadableFile, at: location(byteOffset: error.byteOffset), error.message)
      end.summary.error = error.message
      return .notRead
    }
    start = Cursor(offset: position.offset, line: position.line)
    return .from(position.detectedFormat)
  }

  private func remember(head: [UInt8], format: DetectedFormat?, in points: inout ResumePoints) {
    guard !head.isEmpty else { return }
    let position = ReadPositions.position(
      path: name, head: head, offset: cursor.offset, line: cursor.line, identity: input.fileIdentity, format: format,
      now: points.now)
    points.positions.update(position, head: head, now: points.now)
    points.consumed.insert(ResumePoints.key(position))
  }

  /// Samples the first lines to find the format; they are read again as the start of the first piece.
  private func takeSample() {
    var bytes = 0
    do {
      while sample.count < FormatDetector.sampleLines, bytes < 4 << 20, let line = try reader.nextLine() {
        sample.append(
          SampledLine(
            bytes: Array(line), line: reader.lineNumber, endOffset: reader.bytesRead,
            unterminated: reader.lastLineUnterminated))
        bytes += line.count
      }
    } catch {
      readError = error
    }
  }

  /// The format: remembered by --state, given, or found from the sample and lines further in. Nil when none
  /// reads the file; then every line is counted as skipped, so that the loss is visible.
  private func detect(remembered: DetectedFormat?) -> DetectedFormat? {
    do throws(DetectionError) {
      // Lines ended by a carriage return alone (a file converted to old Mac endings) read as one line.
      if sample.count == 1, sample[0].bytes.count(where: { $0 == 0x0D }) >= 2 {
        throw DetectionError(
          message:
            "lines end in a carriage return (\\r) alone, not a newline: PostgreSQL never writes that; convert the "
            + "file with tr '\\r' '\\n'")
      }
      if let remembered, options.format == nil && options.prefix == nil { return remembered }
      // The head alone may not show a minority's fields or a background process's line: lines from several
      // places further in (a plain file's) are sampled too.
      var lines = sample.map(\.bytes)
      var windowStarts: [Int] = []
      for window in input.sampleWindows(
        after: sample.last?.endOffset ?? 0, windows: LogReader.sampleWindows, linesEach: LogReader.linesPerWindow)
      {
        windowStarts.append(lines.count)
        lines += window
      }
      let detection = try FormatDetector.detection(
        lines, windowStarts: windowStarts, format: options.format, prefix: options.prefix, threads: options.threads)
      end.summary.prefixInference = detection.inference.map(PrefixInferenceReport.init)
      for warning in detection.warnings {
        end.before.report(.notice, at: location(line: start.line + 1), warning)
      }
      return detection.format
    } catch {
      var lines = sample.count
      if readError == nil {
        do {
          while try reader.nextLine() != nil { lines += 1 }
        } catch {
          readError = error
        }
      }
      end.before.report(.unrecognizedLine, at: location(line: start.line + 1), error.message)
      end.summary.bytes = reader.bytesRead - start.offset
      end.summary.lines = lines
      end.summary.skippedLines = lines
      end.summary.error = error.message
      if let readError { end.summary.error = report(readError) }
      return nil
    }
  }

  /// Cuts the text into pieces at record boundaries; the consumer may parse them while the next are read.
  private func cut<C: PieceConsumer>(_ context: FileContext, into consumer: inout C) {
    var cutter = PieceCutter(context.format, pieceBytes: options.pieceBytes, spares: consumer.spares)
    func add(_ line: ByteView, number: Int, endOffset: Int) {
      if let piece = cutter.add(line: line, number: number) { consumer.parse(piece, of: context) }
      if cutter.atBoundary { cursor = Cursor(offset: endOffset, line: number) }
    }
    if case .csvlog = context.format {
      eachLine(add)
    } else if eachSampledLine(add) && readError == nil {
      // The sample line by line, then whole blocks.
      do {
        while let block = try reader.nextBlock() {
          if !block.terminated && reader.lastLineUnterminated && leavesUnterminatedLine() { break }
          cutter.add(block, lastLine: reader.lineNumber) { consumer.parse($0, of: context) }
          cursor = Cursor(offset: reader.bytesRead, line: reader.lineNumber)
          advance(block.lines)
        }
      } catch {
        readError = error
      }
    }
    reportProgress()
    consumer.parse(cutter.finish(), of: context)
    let leftOut = cutter.leftOut
    if leftOut.lines > 0 {
      end.after.report(
        .malformedRecord, at: location(line: leftOut.firstLine),
        "a record longer than \(PieceCutter.recordLimit >> 20) MiB: its \(leftOut.lines) lines from here "
          + "(\(leftOut.bytes) bytes) are left out; the record is read up to there")
    }
  }

  /// Syslog and logplex, where a process's record may get pieces after other processes' lines, and cloud
  /// exports whose records span lines (gcloud's array): the file is read in order on this thread.
  private func readInOrder<P: LogParser, C: PieceConsumer>(_ parser: P, context: FileContext, into consumer: inout C) {
    consumer.parseInOrder(parser, of: context) { feed in
      eachLine { line, number, endOffset in
        if feed(line, number) { cursor = Cursor(offset: endOffset, line: number) }
      }
      reportProgress()
    }
  }

  /// What is checked and said once the file is read.
  private func finish(format: DetectedFormat) {
    if let readError { end.summary.error = report(readError) }
    if readError == nil, !shrank(), path != "-", let opened = openedSize, let size = input.fileIdentity?.size,
      size > opened
    {
      end.after.report(
        .notice, at: location(line: reader.lineNumber),
        "file grew from \(opened) to \(size) bytes while being read; read up to byte \(input.storedBytesConsumed)")
    }
    if let offset = input.trailingBytesOffset {
      let format = input.compression?.rawValue ?? "compressed"
      end.after.report(
        .corruptCompression, at: location(byteOffset: offset),
        "data after the last \(format) member is not \(format) data; ignored")
    }
    if reader.overlongLines > 0 {
      end.after.report(
        .notice, at: location(),
        "\(reader.overlongLines) lines longer than \(LineReader.defaultMaxLineBytes >> 20) MiB were split")
    }
    end.summary.format = format.format
    end.summary.logLinePrefix = format.linePrefix?.text
    end.summary.bytes = reader.bytesRead - start.offset
    end.parsed = true
  }

  // MARK: - Lines

  /// Hands the sampled lines to `body` (with each one's number and where it ends); false when the last one,
  /// without its newline, is left unread.
  private func eachSampledLine(_ body: (ByteView, _ number: Int, _ endOffset: Int) -> Void) -> Bool {
    for line in sample {
      if line.unterminated && leavesUnterminatedLine() { return false }
      line.bytes.withUnsafeBufferPointer { body($0, line.line, line.endOffset) }
    }
    return true
  }

  /// The sampled lines, then each line still to read, but a last line without its newline that is left unread.
  private func eachLine(_ body: (ByteView, _ number: Int, _ endOffset: Int) -> Void) {
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

  /// Whether a last line without its line end is left unread: with --state always (the next run reads it whole);
  /// otherwise when the file grew since it was opened, so that the line is still being written.
  private func leavesUnterminatedLine() -> Bool {
    if resumable { return true }
    guard path != "-", let opened = openedSize, let size = input.fileIdentity?.size, size > opened else {
      return false
    }
    end.leftOut = 1
    end.after.report(
      .notice, at: location(line: reader.lineNumber),
      "last line has no line end and the file grew while being read: it was still being written; left out")
    return true
  }

  /// Whether the file is now shorter than when it was opened or than what was read of it: truncated under the
  /// reader (a copytruncate rotation, a cleanup), so what it had not read yet is gone. Says so if it is.
  private func shrank() -> Bool {
    guard path != "-", let opened = openedSize, let size = input.fileIdentity?.size else { return false }
    let consumed = input.storedBytesConsumed
    guard size < consumed || consumed < opened else { return false }
    let text =
      "file shrank from \(opened) to \(size) bytes while being read (truncated? rotated by copytruncate?); "
      + "read stopped after line \(reader.lineNumber)"
    end.after.report(.unreadableFile, at: location(line: reader.lineNumber, byteOffset: consumed), text)
    end.summary.error = text
    return true
  }

  private func report(_ error: ByteSourceError) -> String {
    let text = "\(error.message); read stopped after line \(reader.lineNumber)"
    end.after.report(
      error.isCompression ? .corruptCompression : .unreadableFile,
      at: location(line: reader.lineNumber, byteOffset: error.byteOffset), text)
    return text
  }

  // MARK: - Progress

  /// Counts lines read, and reports progress every 65,536.
  private func advance(_ lines: Int) {
    sinceProgress += lines
    if sinceProgress >= 65_536 {
      reportProgress()
      sinceProgress = 0
    }
  }

  private func reportProgress() {
    options.progress?(
      ProgressUpdate(
        file: name, storedBytes: input.storedBytesConsumed, totalStoredBytes: openedSize, lines: reader.lineNumber,
        startedAt: input.compression == nil ? end.summary.resumedAt : 0))
  }
}
