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
  private var tally = ParseCounts()
  /// Records each reading of the prefix read: 0 the prefix, then each alternate.
  private var readings: [Int] = []

  public var counts: ParseCounts {
    var result = tally
    result.recordsByPrefix = prefix.recordsByText(readings)
    return result
  }
  public private(set) var diagnostics = Diagnostics()
  public private(set) var zoneNotes = ZoneNotes()
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
    /// Whether the line came through Heroku's logplex (`app[postgres.PID]`, or `postgres.PID` in a drain's frame).
    public var heroku = false
    /// The process name when the line is not a PostgreSQL process's (Heroku sends its other sources alike:
    /// `app[web.1]`, `heroku[router]`; a syslog file has `kernel:` lines); nil for PostgreSQL's lines.
    public var otherSource: String?
    /// Where the program's name (`postgres`, `CRON`, `sshd`) is in the line: lines whose program never wrote a
    /// PostgreSQL record are another program's.
    public var ident: Range<Int> = 0..<0
  }

  static let months: [StaticString] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
  ]

  /// Reads a syslog header in any of the layouts PostgreSQL's lines reach a file in; nil when the line has none:
  ///
  ///   Mmm dd HH:MM:SS host ident[pid]: [n-m]                       rsyslog and syslog-ng, traditional
  ///   2026-11-25T12:02:34.123456+00:00 host ident[pid]: [n-m]      rsyslog's RFC 3339 time
  ///   2026-11-25T12:02:34.123456+00:00 app[postgres.pid]: [TAG] [n-m]           `heroku logs`
  ///   LEN <PRI>1 2026-11-25T12:02:34+00:00 host app postgres.pid - [TAG] [n-m]  a Heroku drain's frames
  ///   <PRI>1 2026-11-25T12:02:34+00:00 host postgres pid - - [n-m]            RFC 5424
  public static func header(_ line: ByteView, now: LogTime) -> Header? {
    var i = 0
    // RFC 5424: an octet count when frames come over TCP or an HTTPS drain, then `<PRI>VERSION `.
    var rfc5424 = false
    if let (_, end) = line.parseDigits(at: 0), end + 1 < line.count, line[end] == UInt8(ascii: " "),
      line[end + 1] == UInt8(ascii: "<")
    {
      i = end + 1
    }
    if i < line.count, line[i] == UInt8(ascii: "<") {
      guard let (_, close) = line.parseDigits(at: i + 1), close < line.count, line[close] == UInt8(ascii: ">"),
        let (_, versionEnd) = line.parseDigits(at: close + 1), versionEnd < line.count,
        line[versionEnd] == UInt8(ascii: " ")
      else { return nil }
      rfc5424 = true
      i = versionEnd + 1
    }
    guard let (time, timeEnd) = headerTime(line, at: i, now: now), timeEnd < line.count,
      line[timeEnd] == UInt8(ascii: " ")
    else { return nil }
    i = timeEnd + 1
    var header: Header
    if rfc5424 {
      // HOSTNAME APP-NAME PROCID MSGID: PROCID is the pid, or `postgres.PID` from Heroku.
      var fields: [Range<Int>] = []
      while fields.count < 4, i < line.count, let end = line.firstIndex(of: UInt8(ascii: " "), from: i) {
        fields.append(i..<end)
        i = end + 1
      }
      guard fields.count == 4 else { return nil }
      header = Header(time: time, pid: 0, textStart: i)
      header.ident = fields[1]
      process(line.slice(fields[2].lowerBound, fields[2].upperBound), into: &header)
      // STRUCTURED-DATA, when it is the nil value; Heroku leaves it out.
      if line.matches("- ", at: i) { header.textStart = i + 2 }
    } else {
      // `host ident[pid]: `, `ident[pid]: ` with no host (`heroku logs`), `d.<uuid> app[postgres.N] ` (a drain
      // whose host is its token, with no colon), or `host program: ` (a program that writes no pid: `kernel:`).
      guard let space = line.firstIndex(of: UInt8(ascii: " "), from: i) else { return nil }
      var identStart = i
      if !(space >= i + 2 && line[space - 1] == UInt8(ascii: ":") && line[space - 2] == UInt8(ascii: "]")) {
        identStart = space + 1
      }
      let drainToken = line.matches("d.", at: i) && identStart == space + 1
      let identEnd = line.firstIndex(of: UInt8(ascii: " "), from: identStart) ?? line.count
      guard let open = line.firstIndex(of: UInt8(ascii: "["), from: identStart), open < identEnd,
        let close = line.firstIndex(of: UInt8(ascii: "]"), from: open + 1), close + 1 < line.count,
        drainToken && line[close + 1] == UInt8(ascii: " ")
          || close + 2 < line.count && line[close + 1] == UInt8(ascii: ":") && line[close + 2] == UInt8(ascii: " ")
      else {
        // `program: ` with no pid: another program's line, if the name is a word.
        if identEnd > identStart + 1, identEnd < line.count, line[identEnd - 1] == UInt8(ascii: ":"),
          line.slice(identStart, identEnd - 1).allSatisfy({ PrefixDetector.isWordByte($0) || $0 == UInt8(ascii: "-") })
        {
          var other = Header(time: time, pid: 0, textStart: identEnd + 1)
          other.ident = identStart..<(identEnd - 1)
          other.otherSource = line.slice(identStart, identEnd - 1).string
          return other
        }
        return nil
      }
      header = Header(time: time, pid: 0, textStart: line[close + 1] == UInt8(ascii: " ") ? close + 2 : close + 3)
      header.ident = identStart..<open
      let ident = line.slice(identStart, open)
      let inside = line.slice(open + 1, close)
      if ident.count == 3 && ident.matches("app", at: 0) || ident.count == 6 && ident.matches("heroku", at: 0) {
        process(inside, into: &header)
      } else {
        guard let (pid, end) = inside.parseDigits(at: 0), end == inside.count else { return nil }
        header.pid = Int32(truncatingIfNeeded: pid)
      }
      if header.otherSource == nil && header.pid == 0 { return nil }
    }
    // Heroku's `[DATABASE] `: the name of the database's attachment, before the sequence.
    var t = header.textStart
    if t < line.count, line[t] == UInt8(ascii: "["), let close = line.firstIndex(of: UInt8(ascii: "]"), from: t + 1),
      close > t + 1, close + 2 < line.count, line[close + 1] == UInt8(ascii: " "),
      line[close + 2] == UInt8(ascii: "["),
      line.slice(t + 1, close).allSatisfy({ $0 &- UInt8(ascii: "A") < 26 || $0 &- UInt8(ascii: "0") < 10 || $0 == 0x5F }
      )
    {
      t = close + 2
      header.heroku = true
    }
    // `[sequence-piece] `
    if t < line.count, line[t] == UInt8(ascii: "["), let (_, dash) = line.parseDigits(at: t + 1),
      dash < line.count, line[dash] == UInt8(ascii: "-"), let (number, end) = line.parseDigits(at: dash + 1),
      end + 1 < line.count, line[end] == UInt8(ascii: "]"), line[end + 1] == UInt8(ascii: " ")
    {
      header.piece = number
      header.textStart = end + 2
    }
    return header
  }

  /// The time a syslog header starts with: `Mmm dd HH:MM:SS`, or RFC 3339 with a `T` (a space would be a stderr
  /// prefix's %t); with the offset where it ends.
  static func headerTime(_ line: ByteView, at i: Int, now: LogTime) -> (LogTime, Int)? {
    if let month = months.firstIndex(where: { line.matches($0, at: i) }), line.count > i + 16,
      line[i + 3] == UInt8(ascii: " ")
    {
      // Day of month, space-padded (`Nov  5`).
      var d = i + 4
      if line[d] == UInt8(ascii: " ") { d += 1 }
      guard let (day, dayEnd) = line.parseDigits(at: d), dayEnd < line.count, line[dayEnd] == UInt8(ascii: " "),
        let (hour, h) = line.parseDigits(at: dayEnd + 1), h < line.count, line[h] == UInt8(ascii: ":"),
        let (minute, m) = line.parseDigits(at: h + 1), m < line.count, line[m] == UInt8(ascii: ":"),
        let (second, s) = line.parseDigits(at: m + 1), (1...31).contains(day), hour < 24, minute < 60, second < 61
      else { return nil }
      let year = now.civil.year
      func epoch(_ year: Int) -> Int64 {
        (Int64(LogTime.daysFromCivil(year: year, month: month + 1, day: day)) * 86_400
          + Int64(hour * 3600 + minute * 60 + second)) * 1000
      }
      var ms = epoch(year)
      if ms > now.epochMs + 86_400_000 { ms = epoch(year - 1) }
      return (LogTime(epochMs: ms), s)
    }
    guard line.count > i + 10, line[i + 10] == UInt8(ascii: "T"),
      let stamp = LogTimestamp.parse(line, at: i, withZone: false)
    else { return nil }
    // `2026-11-25T12:02:34.123456+00:00`, or `Z`.
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
    return (LogTime(epochMs: stamp.time.epochMs - offsetMs), end)
  }

  /// Reads a process name as Heroku writes it: `postgres.PID` for PostgreSQL's processes; `web.1`, `router` or
  /// `heroku-postgres` (its metrics) for other sources. A bare number is a pid (RFC 5424's PROCID).
  static func process(_ name: ByteView, into header: inout Header) {
    if let (pid, end) = name.parseDigits(at: 0), end == name.count {
      header.pid = Int32(truncatingIfNeeded: pid)
    } else if name.matches("postgres.", at: 0), let (pid, end) = name.parseDigits(at: 9), end == name.count {
      header.pid = Int32(truncatingIfNeeded: pid)
      header.heroku = true
    } else {
      header.otherSource = String(decoding: name, as: UTF8.self)
      header.heroku = true
    }
  }

  public mutating func feed<S: LogEntrySink>(_ line: ByteView, lineNumber: Int, into sink: inout S) {
    guard let line = Self.admit(line, lineNumber: lineNumber, file: file, counts: &tally, diagnostics: &diagnostics)
    else { return }
    guard let header = Self.header(line, now: now) else {
      skip(lineNumber, "not a syslog line with a process id (Mmm dd HH:MM:SS host ident[pid]: …)")
      return
    }
    if let source = header.otherSource {
      tally.other(source)
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
      let ident = line.slice(header.ident.lowerBound, header.ident.upperBound)
      scratch.withUnsafeBufferPointer {
        add($0, header: header, headerIdent: ident, lineNumber: lineNumber, into: &sink)
      }
      return
    }
    text = line.slice(from: header.textStart)
    add(
      text, header: header, headerIdent: line.slice(header.ident.lowerBound, header.ident.upperBound),
      lineNumber: lineNumber, into: &sink)
  }

  /// The names PostgreSQL's lines came under in this file (`postgres`, or the `syslog_ident` set).
  private var postgresIdents: [[UInt8]] = []

  /// The names PostgreSQL's processes log under by default, and Heroku's.
  static func isPostgres(_ ident: ByteView) -> Bool {
    ident.elementsEqual("postgres".utf8) || ident.elementsEqual("postgresql".utf8)
      || ident.elementsEqual("postmaster".utf8) || ident.elementsEqual("app".utf8)
  }

  private mutating func add<S: LogEntrySink>(
    _ text: ByteView, header: Header, headerIdent: ByteView, lineNumber: Int, into sink: inout S
  ) {
    let pid = header.pid
    if let match = prefix.match(text) {
      PrefixMatch.count(match, in: &readings)
      if !postgresIdents.contains(where: { $0.elementsEqual(headerIdent) }) {
        postgresIdents.append(Array(headerIdent))
      }
      if let previous = open.removeValue(forKey: pid) { emit(previous, into: &sink) }
      open[pid] = Record(bytes: Array(text), match: match, line: lineNumber, time: header.time, pid: pid)
      if !match.zoneKnown || match.zoneAmbiguous {
        zoneNotes.note(
          known: match.zoneKnown, ambiguous: match.zoneAmbiguous, zone: { match.zone(in: text) }, zones: prefix.zones,
          line: lineNumber)
      }
      return
    }
    guard open[pid] != nil, header.piece.map({ $0 > 1 }) ?? true else {
      // A program that has written no PostgreSQL record (CRON, sshd, systemd) is another program.
      if !postgresIdents.contains(where: { $0.elementsEqual(headerIdent) }) && !Self.isPostgres(headerIdent) {
        tally.other(headerIdent.string)
        return
      }
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
    tally.skippedLines += 1
    diagnostics.report(.unrecognizedLine, at: InputLocation(file: file, line: lineNumber), reason)
  }

  private mutating func emit<S: LogEntrySink>(_ record: Record, into sink: inout S) {
    tally.entries += 1
    let match = record.match
    record.bytes.withUnsafeBufferPointer { view in
      var entry = LogEntry(
        severity: match.severity, time: match.time ?? record.time, pid: match.pid != 0 ? match.pid : record.pid,
        user: view.slice(match.user.lowerBound, match.user.upperBound),
        database: view.slice(match.database.lowerBound, match.database.upperBound),
        application: view.slice(match.application.lowerBound, match.application.upperBound),
        client: view.slice(match.client.lowerBound, match.client.upperBound),
        message: LogEntry.withoutCursorPosition(view.slice(from: match.textStart), severity: match.severity),
        lineNumber: record.line)
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
