// What reading hands on, and to whom: the stage after reading implements `PieceConsumer` (parse the pieces,
// fold them in order); reading knows only this protocol. A file's pieces come first, then its end.
import Foundation
import LogFormats
import LogInput

/// Where reading hands each file's pieces and, after them, its end.
public protocol PieceConsumer {
  /// Whole records of the file, cut at record boundaries: they parse on their own (on any thread; see
  /// `FileContext.parse`), and fold in the order they were handed out. The piece is handed over, not shared,
  /// so that its buffer can come back through `spares` without a copy.
  mutating func parse(_ piece: consuming PieceCutter.Piece, of file: FileContext)
  /// A file whose records need its lines in order (syslog, logplex, multi-line cloud exports): `lines` hands each
  /// line to `feed` on this thread, which reads it with `parser` and says whether the parser then stands at a
  /// record boundary (where a later run could resume).
  mutating func parseInOrder<P: LogParser>(
    _ parser: P, of file: FileContext, lines: (_ feed: (ByteView, _ number: Int) -> Bool) -> Void)
  /// What reading found besides the pieces; the file is over.
  mutating func end(_ file: FileEnd)
  /// Where the buffers of parsed pieces come back, for the next pieces to be cut into; nil to allocate each.
  var spares: PieceSpares? { get }
}

extension PieceConsumer {
  public var spares: PieceSpares? { nil }
}

/// What every piece of one file is read with.
public struct FileContext: Sendable {
  /// The name the file is reported under.
  public var name: String
  /// The file's place among the run's inputs.
  public var ordinal: Int
  public var format: DetectedFormat
  /// Whether --state reads this file: a record still open at its end is left for the next run.
  public var resumable: Bool
  /// Whether lines the prefix does not match are read with a prefix inferred from them: yes when the prefix was
  /// inferred itself, no when the user gave it.
  public var infersPrefix: Bool
  public var zones: LogTimeZone
  /// The run's clock, for syslog times that have no year.
  public var now: LogTime
}

/// Reads parsed lines with a parser chosen by the file's format: the one generic call per format that makes
/// each parser's loop specialized.
public protocol ParserVisitor {
  associatedtype Result
  mutating func visit<P: LogParser>(_ parser: P) -> Result
}

extension FileContext {
  /// Calls `visitor` with a parser for a piece of this file. Inlinable, so that the visitor's parsing is
  /// specialized for each parser and not run through generic metadata once a line (callgrind).
  @inlinable
  public func withParser<V: ParserVisitor>(_ visitor: inout V) -> V.Result {
    switch format {
    case .stderr(let prefix):
      return visitor.visit(
        StderrParser(prefix: prefix.reading(zones), file: name, linesStay: true, recovers: infersPrefix))
    case .csvlog: return visitor.visit(CsvlogParser(file: name, zones: zones))
    case .jsonlog: return visitor.visit(JsonlogParser(file: name, zones: zones))
    case .pgbouncer: return visitor.visit(PgBouncerParser(file: name, zones: zones))
    case .cloudnativepg: return visitor.visit(CloudNativePGParser(file: name, zones: zones))
    case .cloudExport(let provider, let prefix, oneALine: true):
      // Every piece knows from detection, even one that starts at a record cut short.
      return visitor.visit(
        CloudExportParser(provider: provider, prefix: prefix.reading(zones), file: name, oneALine: true))
    case .syslog, .logplex, .cloudExport:
      // Read whole on the reading thread (see `FileReading`); a piece of it parses like one.
      switch serialParser! {
      case .syslog(let parser): return visitor.visit(parser)
      case .cloud(let parser): return visitor.visit(parser)
      }
    }
  }

  /// The parsers of formats read in order, whole.
  @usableFromInline
  enum SerialParser {
    case syslog(SyslogParser)
    case cloud(CloudExportParser)
  }

  /// The parser that reads this file in order, for the formats that need it.
  @usableFromInline
  var serialParser: SerialParser? {
    switch format {
    case .syslog(let prefix), .logplex(let prefix):
      .syslog(SyslogParser(prefix: prefix.reading(zones), file: name, now: now))
    case .cloudExport(let provider, let prefix, oneALine: false):
      .cloud(CloudExportParser(provider: provider, prefix: prefix.reading(zones), file: name))
    case .stderr, .csvlog, .jsonlog, .pgbouncer, .cloudnativepg, .cloudExport(_, _, oneALine: true): nil
    }
  }
}

extension PieceCutter.Piece {
  /// Each line of the piece, without its line end (nor a `\r` before it, as `LineReader.nextLine` has it), with
  /// its number.
  public func forEachLine(_ body: (ByteView, _ number: Int) -> Void) {
    bytes.withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      var offset = 0
      var number = firstLine
      while offset < buffer.count {
        let newline = memchr(base + offset, 0x0A, buffer.count - offset)!
        let length = UnsafeRawPointer(base + offset).distance(to: UnsafeRawPointer(newline))
        let text = length > 0 && base[offset + length - 1] == 0x0D ? length - 1 : length
        body(ByteView(start: base + offset, count: text), number)
        offset += length + 1
        number += 1
      }
    }
  }
}

/// What reading one file found besides its pieces, handed over after them.
public struct FileEnd: Sendable {
  public var summary: FileSummary
  /// Problems found before parsing (opening, resuming) and after it (read errors, trailing bytes).
  public var before = Diagnostics()
  public var after = Diagnostics()
  /// Lines read but not parsed: a last line still being written when the file grew while being read.
  public var leftOut = 0
  /// Whether pieces were parsed, so that their counts make the summary's.
  public var parsed = false

  /// Takes the counts of the file's parsed pieces into the summary, with a word where they need one.
  public mutating func take(
    _ counts: ParseCounts, outside: Int, filtered: Int, into diagnostics: inout Diagnostics
  ) {
    guard parsed else { return }
    summary.lines = counts.lines + leftOut
    summary.entries = counts.entries
    summary.skippedLines = counts.skippedLines + leftOut
    summary.blankLines = counts.blankLines
    summary.invalidUTF8Lines = counts.invalidUTF8Lines
    summary.outsideWindow = outside
    summary.filteredRecords = filtered
    summary.prefixReadings = NameCount.mostFirst(counts.recordsByPrefix)
    let at = InputLocation(file: summary.path)
    if summary.prefixReadings.count > 1 {
      let others = summary.prefixReadings.filter { $0.name != summary.logLinePrefix }
        .map { "\($0.calls) with '\($0.name)'" }.joined(separator: ", ")
      diagnostics.report(
        .notice, at: at,
        "records read with other readings of the prefix than '\(summary.logLinePrefix ?? "")': \(others)")
    }
    summary.otherProgramLines = counts.otherProgramLines
    summary.otherPrograms = NameCount.mostFirst(counts.otherPrograms)
    if counts.otherProgramLines > 0 {
      let named = summary.otherPrograms.prefix(5).map { "\($0.name) \($0.calls)" }.joined(separator: ", ")
      diagnostics.report(
        .notice, at: at,
        "\(counts.otherProgramLines) lines of other programs passed over (\(named)"
          + "\(summary.otherPrograms.count > 5 ? ", …" : ""))")
    }
  }
}

/// Where reading one file has got to, for a progress display.
public struct ProgressUpdate: Sendable {
  public var file: String
  /// Bytes of the file as stored (compressed for gzip) read so far, and its size when it is a regular file.
  public var storedBytes: Int
  public var totalStoredBytes: Int?
  public var lines: Int
  /// Where this run started reading the file (a --state run resumes a plain file past what it read before).
  public var startedAt: Int = 0
}
