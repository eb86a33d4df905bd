// Reads PgBouncer's own log: `2026-11-25 12:25:50.374 UTC [2583] LOG C-0x55d…: shop/app@10.0.0.5:51234 login
// attempt: db=shop user=app tls=no`. One line per record; the level has no colon after it, which tells these
// lines from a PostgreSQL stderr log's.
import LogInput

public struct PgBouncerParser: LogParser {
  public let file: String
  public private(set) var counts = ParseCounts()
  public private(set) var diagnostics = Diagnostics()
  public private(set) var zoneNotes = ZoneNotes()
  /// How the zone after each timestamp is read.
  public let zones: LogTimeZone

  public var atRecordBoundary: Bool { true }

  public init(file: String, zones: LogTimeZone = .standard) {
    self.file = file
    self.zones = zones
  }

  /// The parts of a PgBouncer line: its time, process, level and where the message starts.
  public struct Line {
    public var time: LogTime
    public var zoneKnown: Bool
    public var zoneAmbiguous: Bool
    public var zone: Range<Int>?
    public var pid: Int32
    public var severity: Severity
    public var messageStart: Int
  }

  /// Reads a line as PgBouncer 1.16 and later write it (`TIME ZONE [pid] LEVEL`), or as 1.9 to 1.15 did
  /// (`TIME pid LEVEL`, no zone and no brackets).
  public static func parse(_ line: ByteView, zones: LogTimeZone = .standard) -> Line? {
    guard let stamp = LogTimestamp.parse(line, at: 0, zones: zones), stamp.end + 2 < line.count,
      line[stamp.end] == UInt8(ascii: " ")
    else { return nil }
    let bracketed = line[stamp.end + 1] == UInt8(ascii: "[")
    guard let (pid, close) = line.parseDigits(at: stamp.end + (bracketed ? 2 : 1)) else { return nil }
    var levelStart = close + 1
    if bracketed {
      guard close < line.count, line[close] == UInt8(ascii: "]") else { return nil }
      levelStart = close + 2
    }
    guard levelStart < line.count, line[levelStart - 1] == UInt8(ascii: " ") else { return nil }
    guard let space = line.firstIndex(of: UInt8(ascii: " "), from: levelStart) else { return nil }
    let level = line.slice(levelStart, space)
    let severity: Severity
    switch level.count {
    case 3 where level.matches("LOG", at: 0): severity = .log
    case 5 where level.matches("NOISE", at: 0), 5 where level.matches("DEBUG", at: 0): severity = .debug
    case 5 where level.matches("ERROR", at: 0): severity = .error
    case 5 where level.matches("FATAL", at: 0): severity = .fatal
    case 7 where level.matches("WARNING", at: 0): severity = .warning
    default: return nil
    }
    return Line(
      time: stamp.time, zoneKnown: stamp.zoneKnown, zoneAmbiguous: stamp.zoneAmbiguous, zone: stamp.zone,
      pid: Int32(truncatingIfNeeded: pid), severity: severity,
      messageStart: space + 1)
  }

  public mutating func feed<S: LogEntrySink>(_ line: ByteView, lineNumber: Int, into sink: inout S) {
    guard let line = Self.admit(line, lineNumber: lineNumber, file: file, counts: &counts, diagnostics: &diagnostics)
    else { return }
    guard let parsed = Self.parse(line, zones: zones) else {
      counts.skippedLines += 1
      diagnostics.report(
        .unrecognizedLine, at: InputLocation(file: file, line: lineNumber),
        "not a PgBouncer log line (time zone [pid] LEVEL message)")
      return
    }
    counts.entries += 1
    if !parsed.zoneKnown || parsed.zoneAmbiguous {
      zoneNotes.note(
        known: parsed.zoneKnown, ambiguous: parsed.zoneAmbiguous,
        zone: { parsed.zone.map { line.slice($0.lowerBound, $0.upperBound) } ?? line.slice(0, 0) }, zones: zones,
        line: lineNumber)
    }
    let empty = line.slice(0, 0)
    var entry = LogEntry(
      severity: parsed.severity, time: parsed.time, pid: parsed.pid, user: empty, database: empty,
      application: empty, client: empty, message: line.slice(from: parsed.messageStart), lineNumber: lineNumber)
    entry.source = .pgbouncer
    sink.consume(entry)
  }

  public mutating func finish<S: LogEntrySink>(into sink: inout S) {}
}
