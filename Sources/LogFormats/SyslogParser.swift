// Reads PostgreSQL logs that went through syslog (log_destination = 'syslog') and were written by rsyslog or
// syslog-ng:
//
//   Nov 25 12:02:34 host postgres[21741]: [33-1] user=app,db=shop,… LOG:  duration: 0.1 ms  statement: …
//   Nov 25 12:02:34 host postgres[21741]: [33-2] #011  FROM pgbench_accounts
//
// Each line carries the syslog header (time, host, ident and process id), then `[sequence-piece]`, then the
// text. A piece that starts with the log_line_prefix is a record of its own (a message, or its DETAIL, HINT or
// STATEMENT); any other piece continues the process's record: a line of a multi-line message (it starts with a
// tab, which syslog daemons write as `#011`) or the rest of a line PostgreSQL split at 900 bytes. Pieces of
// different processes may interleave, so a record is assembled per process.
import LogInput

public struct SyslogParser: LogParser {
  public let prefix: LinePrefix
  public let file: String
  public private(set) var counts = ParseCounts()
  public private(set) var diagnostics = Diagnostics()
  public private(set) var unknownZoneLine: Int?
  /// Traditional syslog times have no year: they are taken to be in this one, or the one before when that
  /// would put them more than a day after `now`.
  private let now: LogTime

  /// The record each process is assembling.
  private var open: [Int32: Record] = [:]
  private var scratch: [UInt8] = []

  struct Record {
    var bytes: [UInt8]
    var match: PrefixMatch
    var line: Int
    var time: LogTime?
    var pid: Int32
  }

  /// A process's record may still get pieces, but every line ends what syslog wrote at once.
  public var atRecordBoundary: Bool { true }

  public init(prefix: LinePrefix, file: String, now: LogTime) {
    self.prefix = prefix
    self.file = file
    self.now = now
  }

  /// What the syslog daemon put before PostgreSQL's text.
  public struct Header {
    public var time: LogTime?
    public var pid: Int32
    /// The piece number of `[sequence-piece]`, when `syslog_sequence_numbers` is on.
    public var piece: Int?
    public var textStart: Int
  }

  static let months: [StaticString] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
  ]

  /// Reads `Mmm dd HH:MM:SS host ident[pid]: [n-m] ` or the same with an RFC 3339 time (rsyslog's
  /// high-precision format); nil when the line is not a syslog line with a process id.
  public static func header(_ line: ByteView, now: LogTime) -> Header? {
    var i = 0
    var time: LogTime?
    if let month = months.firstIndex(where: { line.matches($0, at: 0) }), line.count > 16,
      line[3] == UInt8(ascii: " ")
    {
      // Day of month, space-padded (`Nov  5`).
      var d = 4
      if line[d] == UInt8(ascii: " ") { d += 1 }
      guard let (day, dayEnd) = line.parseDigits(at: d), dayEnd < line.count, line[dayEnd] == UInt8(ascii: " "),
        let (hour, h) = line.parseDigits(at: dayEnd + 1), h < line.count, line[h] == UInt8(ascii: ":"),
        let (minute, m) = line.parseDigits(at: h + 1), m < line.count, line[m] == UInt8(ascii: ":"),
        let (second, s) = line.parseDigits(at: m + 1), (1...31).contains(day), hour < 24, minute < 60, second < 61
      else { return nil }
      let year = now.civil.year
      func epoch(_ year: Int) -> Int64 {
        (Int64(LogTimestamp.daysFromCivil(year: year, month: month + 1, day: day)) * 86_400
          + Int64(hour * 3600 + minute * 60 + second)) * 1000
      }
      var ms = epoch(year)
      if ms > now.epochMs + 86_400_000 { ms = epoch(year - 1) }
      time = LogTime(epochMs: ms)
      i = s
    } else if line.count > 10, line[10] == UInt8(ascii: "T"),
      let stamp = LogTimestamp.parse(line, at: 0, withZone: false)
    {
      // RFC 3339: `2026-11-25T12:02:34.123456+00:00` (with a `T`: a space would be a stderr prefix's %t).
      var end = stamp.end
      var offsetMs: Int64 = 0
      if end < line.count, line[end] == UInt8(ascii: "Z") {
        end += 1
      } else if end + 5 < line.count, line[end] == UInt8(ascii: "+") || line[end] == UInt8(ascii: "-"),
        let (hours, h) = line.parseDigits(at: end + 1), h < line.count, line[h] == UInt8(ascii: ":"),
        let (minutes, m) = line.parseDigits(at: h + 1), hours < 24, minutes < 60
      {
        offsetMs = Int64(hours * 60 + minutes) * 60_000 * (line[end] == UInt8(ascii: "+") ? 1 : -1)
        end = m
      }
      time = LogTime(epochMs: stamp.time.epochMs - offsetMs)
      i = end
    } else {
      return nil
    }
    // ` host ident[pid]: `
    guard i < line.count, line[i] == UInt8(ascii: " "),
      let hostEnd = line.firstIndex(of: UInt8(ascii: " "), from: i + 1),
      let open = line.firstIndex(of: UInt8(ascii: "["), from: hostEnd + 1),
      let (pid, close) = line.parseDigits(at: open + 1), close + 2 < line.count, line[close] == UInt8(ascii: "]"),
      line[close + 1] == UInt8(ascii: ":"), line[close + 2] == UInt8(ascii: " ")
    else { return nil }
    var textStart = close + 3
    var piece: Int?
    // `[sequence-piece] `
    if textStart < line.count, line[textStart] == UInt8(ascii: "["),
      let (_, dash) = line.parseDigits(at: textStart + 1),
      dash < line.count, line[dash] == UInt8(ascii: "-"), let (number, end) = line.parseDigits(at: dash + 1),
      end + 1 < line.count, line[end] == UInt8(ascii: "]"), line[end + 1] == UInt8(ascii: " ")
    {
      piece = number
      textStart = end + 2
    }
    return Header(time: time, pid: Int32(truncatingIfNeeded: pid), piece: piece, textStart: textStart)
  }

  public mutating func feed<S: LogEntrySink>(_ line: ByteView, lineNumber: Int, into sink: inout S) {
    guard let line = Self.admit(line, lineNumber: lineNumber, file: file, counts: &counts, diagnostics: &diagnostics)
    else { return }
    guard let header = Self.header(line, now: now) else {
      skip(lineNumber, "not a syslog line with a process id (Mmm dd HH:MM:SS host ident[pid]: …)")
      return
    }
    // Syslog daemons write control characters as `#` and three octal digits: the tab is `#011`.
    var text = line.slice(from: header.textStart)
    if text.firstIndex(of: "#011", from: 0) != nil {
      scratch.removeAll(keepingCapacity: true)
      var k = 0
      while k < text.count {
        if text.matches("#011", at: k) {
          scratch.append(UInt8(ascii: "\t"))
          k += 4
        } else {
          scratch.append(text[k])
          k += 1
        }
      }
      scratch.withUnsafeBufferPointer { add($0, header: header, lineNumber: lineNumber, into: &sink) }
      return
    }
    text = line.slice(from: header.textStart)
    add(text, header: header, lineNumber: lineNumber, into: &sink)
  }

  private mutating func add<S: LogEntrySink>(
    _ text: ByteView, header: Header, lineNumber: Int, into sink: inout S
  ) {
    let pid = header.pid
    if let match = prefix.match(text) {
      if let previous = open.removeValue(forKey: pid) { emit(previous, into: &sink) }
      open[pid] = Record(bytes: Array(text), match: match, line: lineNumber, time: header.time, pid: pid)
      if !match.zoneKnown && unknownZoneLine == nil { unknownZoneLine = lineNumber }
      return
    }
    guard open[pid] != nil, header.piece.map({ $0 > 1 }) ?? true else {
      skip(lineNumber, "piece matches no log_line_prefix '\(prefix.text)' and continues no record of process \(pid)")
      return
    }
    // A new line of the message starts with a tab (dropped, as in stderr logs); a line split at 900 bytes goes on.
    if let first = text.first, first == UInt8(ascii: "\t") {
      open[pid]!.bytes.append(UInt8(ascii: "\n"))
      open[pid]!.bytes.append(contentsOf: text.slice(from: 1))
    } else {
      open[pid]!.bytes.append(contentsOf: text)
    }
  }

  private mutating func skip(_ lineNumber: Int, _ reason: String) {
    counts.skippedLines += 1
    diagnostics.report(.unrecognizedLine, at: InputLocation(file: file, line: lineNumber), reason)
  }

  private mutating func emit<S: LogEntrySink>(_ record: Record, into sink: inout S) {
    counts.entries += 1
    let match = record.match
    record.bytes.withUnsafeBufferPointer { view in
      var entry = LogEntry(
        severity: match.severity, time: match.time ?? record.time, pid: match.pid != 0 ? match.pid : record.pid,
        user: view.slice(match.user.lowerBound, match.user.upperBound),
        database: view.slice(match.database.lowerBound, match.database.upperBound),
        application: view.slice(match.application.lowerBound, match.application.upperBound),
        client: view.slice(match.client.lowerBound, match.client.upperBound),
        message: view.slice(from: match.textStart), lineNumber: record.line)
      entry.sqlState = match.sqlState.map { view.slice($0.lowerBound, $0.upperBound) }
      sink.consume(entry)
    }
  }

  /// Sends every record still being assembled, oldest first.
  public mutating func finish<S: LogEntrySink>(into sink: inout S) {
    for record in open.values.sorted(by: { $0.line < $1.line }) { emit(record, into: &sink) }
    open.removeAll()
  }
}
