// Reads stderr-format logs: a prefixed first line per record, continuation lines starting with a tab.
import LogInput

#if canImport(Glibc)
  import Glibc
#endif

/// Counts every parser keeps, so the report can say what was read and what was passed over.
public struct ParseCounts: Sendable, Equatable {
  public var lines = 0
  public var entries = 0
  /// Empty lines, which carry nothing and are not errors.
  public var blankLines = 0
  /// Lines that belong to no record (unrecognized, or inside a malformed record) and were skipped.
  public var skippedLines = 0
  public var invalidUTF8Lines = 0
  /// Lines other programs wrote into the same stream (syslog's other daemons, Heroku's other sources,
  /// CloudNativePG's other loggers): passed over and counted, not a problem.
  public var otherProgramLines = 0
  /// How many of them each program wrote, for the first `maxOtherPrograms` programs met.
  public var otherPrograms: [String: Int] = [:]
  public static let maxOtherPrograms = 16
  /// How many records each reading of the prefix read, by its text, where a prefix has alternates.
  public var recordsByPrefix: [String: Int] = [:]
  public init() {}

  /// Counts a line of another program.
  public mutating func other(_ program: String) {
    otherProgramLines += 1
    if otherPrograms[program] != nil || otherPrograms.count < Self.maxOtherPrograms {
      otherPrograms[program, default: 0] += 1
    }
  }

  public mutating func merge(_ other: ParseCounts) {
    lines += other.lines
    entries += other.entries
    blankLines += other.blankLines
    skippedLines += other.skippedLines
    invalidUTF8Lines += other.invalidUTF8Lines
    otherProgramLines += other.otherProgramLines
    for (program, count) in other.otherPrograms
    where otherPrograms[program] != nil || otherPrograms.count < Self.maxOtherPrograms {
      otherPrograms[program, default: 0] += count
    }
    recordsByPrefix.merge(other.recordsByPrefix, uniquingKeysWith: +)
  }
}

/// What every format parser offers the driver: lines in, entries out, counts and problems kept.
public protocol LogParser {
  var counts: ParseCounts { get }
  var diagnostics: Diagnostics { get }
  mutating func feed<S: LogEntrySink>(_ line: ByteView, lineNumber: Int, into sink: inout S)
  /// Hands out the record still being assembled at the end of the input.
  mutating func finish<S: LogEntrySink>(into sink: inout S)
  /// Hands out the records that are whole but held back in case more of them follows, when reading stops
  /// before the input's end (`--state` leaves the rest for the next run).
  mutating func flush<S: LogEntrySink>(into sink: inout S)
  /// Whether the lines fed so far end a record, so that reading could stop and resume here.
  var atRecordBoundary: Bool { get }
  /// The first lines whose time zone could not be read, or was read one way of several.
  var zoneNotes: ZoneNotes { get }
}

extension LogParser {
  public mutating func flush<S: LogEntrySink>(into sink: inout S) {}

  /// The check every parser runs on a new line: count it, drop the NUL bytes a crash leaves before it, and
  /// warn about NUL bytes inside it and invalid UTF-8 (such lines are kept, invalid bytes shown as U+FFFD).
  /// Returns the text to parse, or nil for a line of nothing but NUL bytes, which is counted as skipped, and
  /// for an empty line, counted as blank, unless `keepsBlank` (an empty line inside a quoted csvlog value).
  static func admit(
    _ line: ByteView, lineNumber: Int, file: String, counts: inout ParseCounts, diagnostics: inout Diagnostics,
    keepsBlank: Bool = false
  ) -> ByteView? {
    counts.lines += 1
    if line.isEmpty && !keepsBlank {
      counts.blankLines += 1
      return nil
    }
    if line.isPlainText { return line }
    let location = InputLocation(file: file, line: lineNumber)
    var text = line
    if text.first == 0 {
      // A file zero-filled past its last write (a crash, a preallocated file) has a run of NUL bytes before the
      // next line the server wrote, often with no line end between them.
      var run = 1
      while run < text.count && text[run] == 0 { run += 1 }
      if run == text.count {
        counts.skippedLines += 1
        diagnostics.report(.nulBytes, at: location, "\(run) NUL bytes and nothing else (a crash left them?); skipped")
        return nil
      }
      diagnostics.report(.nulBytes, at: location, "\(run) NUL bytes before the text (a crash left them?); dropped")
      text = text.slice(from: run)
    }
    if let base = text.baseAddress, memchr(base, 0, text.count) != nil {
      diagnostics.report(.nulBytes, at: location, "line holds NUL bytes; kept")
    }
    if !text.isValidUTF8 {
      counts.invalidUTF8Lines += 1
      diagnostics.report(.invalidUTF8, at: location, "line is not valid UTF-8; invalid bytes shown as U+FFFD")
    }
    return text
  }
}

public struct StderrParser: LogParser {
  /// The prefix, with the readings learned from lines it did not match.
  public private(set) var prefix: LinePrefix
  public let file: String
  private var tally = ParseCounts()
  public private(set) var diagnostics = Diagnostics()
  /// Records each reading of the prefix read: 0 the prefix, then each alternate.
  private var readings: [Int] = []
  /// The minute of the last timestamp a prefix match read.
  private var timestampMemo = LogTimestamp.Memo()
  /// How each process's last line ended, for its next line to be read faster.
  private var tails = PrefixTails()

  public var counts: ParseCounts {
    var result = tally
    result.recordsByPrefix = prefix.recordsByText(readings)
    return result
  }

  /// The record being assembled: its first line, then `\n` and each continuation line.
  private var buffer: [UInt8] = []
  /// With `linesStay`, a record of one line is read from the caller's bytes, not copied into `buffer`.
  private let linesStay: Bool
  private var firstLine: ByteView?
  private var current: PrefixMatch?
  private var currentLine = 0
  public private(set) var zoneNotes = ZoneNotes()
  /// What a wrapping format (a cloud export) knows of the record being assembled beyond its text; it fills in
  /// what the prefix leaves out. The wrapping parser sets it before a record's lines and clears it once it has
  /// finished the record.
  var envelope: Envelope?

  struct Envelope {
    var pid: Int32 = 0
    var time: LogTime?
    var sqlState: [UInt8] = []
    var detail: [UInt8] = []
  }

  /// Every stderr line boundary is one: PostgreSQL writes a message and its continuation lines at once.
  public var atRecordBoundary: Bool { true }

  /// Lines held, in order, since one that looks like a record (it has a severity marker) matched no reading
  /// of the prefix: when enough such lines are held, the prefix they have is inferred from them and they are
  /// all read again, so that a part of a log written with another prefix is read, not skipped.
  private var held: [(bytes: [UInt8], number: Int)] = []
  private var heldUnmatched = 0
  private var heldBytes = 0
  private let recovers: Bool

  /// How many unmatched record lines are gathered before their prefix is inferred, and how much is held at
  /// most while they are gathered.
  static let recoveryLines = 32
  static let recoveryHeldLines = 4096
  static let recoveryHeldBytes = 4 << 20

  /// `linesStay`: the lines fed stay valid until `finish` (they lie in one buffer that outlives the parse).
  /// `recovers`: whether lines the prefix does not match are gathered to infer the prefix they have (a
  /// wrapping format that feeds one record at a time turns it off).
  public init(prefix: LinePrefix, file: String, linesStay: Bool = false, recovers: Bool = true) {
    self.prefix = prefix
    self.file = file
    self.linesStay = linesStay
    self.recovers = recovers
    buffer.reserveCapacity(64 * 1024)
  }

  public mutating func feed<S: LogEntrySink>(_ line: ByteView, lineNumber: Int, into sink: inout S) {
    guard let line = Self.admit(line, lineNumber: lineNumber, file: file, counts: &tally, diagnostics: &diagnostics)
    else { return }
    guard held.isEmpty else {
      hold(line, lineNumber)
      if heldUnmatched >= Self.recoveryLines || held.count >= Self.recoveryHeldLines
        || heldBytes >= Self.recoveryHeldBytes
      {
        recover(into: &sink)
      }
      return
    }
    take(line, lineNumber: lineNumber, replaying: false, into: &sink)
  }

  /// Whether a line looks like a record the prefix does not read.
  private func isUnread(_ line: ByteView) -> Bool {
    guard let first = line.first, first != UInt8(ascii: "\t") else { return false }
    return prefix.match(line) == nil && PrefixDetector.markerOffset(in: line) != nil
  }

  private mutating func hold(_ line: ByteView, _ lineNumber: Int) {
    if isUnread(line) { heldUnmatched += 1 }
    held.append((Array(line), lineNumber))
    heldBytes += line.count
  }

  /// Infers the prefix of the held lines that looked like records, learns it if it reads most of them, and
  /// reads every held line again, in order.
  private mutating func recover<S: LogEntrySink>(into sink: inout S) {
    let lines = held
    held = []
    heldUnmatched = 0
    heldBytes = 0
    let unread = lines.filter { line in line.bytes.withUnsafeBufferPointer { isUnread($0) } }
    if let inference = FormatDetector.inferPrefix(unread.map(\.bytes)), inference.prefix != prefix,
      inference.matchedRecords * 2 >= unread.count
    {
      prefix = prefix.trying([inference.prefix])
      let read = unread.filter { line in line.bytes.withUnsafeBufferPointer { prefix.match($0) != nil } }.count
      diagnostics.report(
        .notice, at: InputLocation(file: file, line: unread.first?.number ?? 0),
        "lines from here on do not match log_line_prefix '\(prefix.text)'; \(read) of the next \(unread.count) "
          + "are read with '\(inference.prefix.text)', inferred from them (\(inference.confidence.rawValue))")
    }
    for line in lines {
      line.bytes.withUnsafeBufferPointer { take($0, lineNumber: line.number, replaying: true, into: &sink) }
    }
  }

  /// Reads one admitted line. `replaying`: the line is read again after recovery, from a copy that does not
  /// stay, and is skipped if it still matches nothing.
  @inline(__always)
  private mutating func take<S: LogEntrySink>(
    _ line: ByteView, lineNumber: Int, replaying: Bool, into sink: inout S
  ) {
    if let first = line.first, first == UInt8(ascii: "\t") {
      if current != nil {
        if let first = firstLine {
          buffer.removeAll(keepingCapacity: true)
          buffer.append(contentsOf: first)
          firstLine = nil
        }
        buffer.append(UInt8(ascii: "\n"))
        buffer.append(contentsOf: line.slice(from: 1))
      } else {
        skip(lineNumber, "continuation line with no log record before it")
      }
      return
    }
    if let match = prefix.match(line, memo: &timestampMemo, tails: &tails) {
      emitRecord(into: &sink)
      PrefixMatch.count(match, in: &readings)
      if linesStay && !replaying {
        firstLine = line
      } else {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: line)
      }
      current = match
      currentLine = lineNumber
      if !match.zoneKnown || match.zoneAmbiguous {
        zoneNotes.note(
          known: match.zoneKnown, ambiguous: match.zoneAmbiguous, zone: { match.zone(in: line) }, zones: prefix.zones,
          line: lineNumber)
      }
      return
    }
    if recovers && !replaying && PrefixDetector.markerOffset(in: line) != nil {
      // Held, with what follows, until the prefix of such lines is known.
      hold(line, lineNumber)
      return
    }
    skip(lineNumber, "line does not match log_line_prefix '\(prefix.text)'")
  }

  private mutating func skip(_ lineNumber: Int, _ reason: String) {
    tally.skippedLines += 1
    diagnostics.report(.unrecognizedLine, at: InputLocation(file: file, line: lineNumber), reason)
  }

  public mutating func finish<S: LogEntrySink>(into sink: inout S) {
    if !held.isEmpty { recover(into: &sink) }
    emitRecord(into: &sink)
  }

  /// Hands out the record being assembled.
  private mutating func emitRecord<S: LogEntrySink>(into sink: inout S) {
    guard let match = current else { return }
    current = nil
    tally.entries += 1
    let lineNumber = currentLine
    func emit(_ view: ByteView) {
      var entry = LogEntry(
        severity: match.severity, time: match.time, pid: match.pid,
        user: view.slice(match.user.lowerBound, match.user.upperBound),
        database: view.slice(match.database.lowerBound, match.database.upperBound),
        application: view.slice(match.application.lowerBound, match.application.upperBound),
        client: view.slice(match.client.lowerBound, match.client.upperBound),
        message: LogEntry.withoutCursorPosition(view.slice(from: match.textStart), severity: match.severity),
        lineNumber: lineNumber)
      entry.sqlState = match.sqlState.map { view.slice($0.lowerBound, $0.upperBound) }
      guard let envelope else { return sink.consume(entry) }
      if entry.pid == 0 { entry.pid = envelope.pid }
      if entry.time == nil { entry.time = envelope.time }
      envelope.sqlState.withUnsafeBufferPointer { state in
        envelope.detail.withUnsafeBufferPointer { detail in
          if entry.sqlState == nil && !state.isEmpty { entry.sqlState = state }
          if !detail.isEmpty { entry.detail = detail }
          sink.consume(entry)
        }
      }
    }
    if let first = firstLine {
      firstLine = nil
      emit(first)
    } else {
      buffer.withUnsafeBufferPointer { emit($0) }
    }
  }
}
