// One record of the server log, whatever format it came in: a stderr line with its continuation lines,
// a csvlog record or a jsonlog object.
import LogInput

extension Severity {
  /// Recognizes a severity token such as `LOG` or `DEBUG2` (the part before the colon).
  public static func parse(_ token: ByteView) -> Severity? {
    guard let first = token.first else { return nil }
    switch (first, token.count) {
    case (UInt8(ascii: "L"), 3) where token.matches("LOG", at: 0): return .log
    case (UInt8(ascii: "E"), 5) where token.matches("ERROR", at: 0): return .error
    case (UInt8(ascii: "D"), 6) where token.matches("DETAIL", at: 0): return .detail
    case (UInt8(ascii: "S"), 9) where token.matches("STATEMENT", at: 0): return .statement
    case (UInt8(ascii: "W"), 7) where token.matches("WARNING", at: 0): return .warning
    case (UInt8(ascii: "F"), 5) where token.matches("FATAL", at: 0): return .fatal
    case (UInt8(ascii: "H"), 4) where token.matches("HINT", at: 0): return .hint
    case (UInt8(ascii: "C"), 7) where token.matches("CONTEXT", at: 0): return .context
    case (UInt8(ascii: "N"), 6) where token.matches("NOTICE", at: 0): return .notice
    case (UInt8(ascii: "I"), 4) where token.matches("INFO", at: 0): return .info
    case (UInt8(ascii: "P"), 5) where token.matches("PANIC", at: 0): return .panic
    case (UInt8(ascii: "Q"), 5) where token.matches("QUERY", at: 0): return .query
    case (UInt8(ascii: "L"), 8) where token.matches("LOCATION", at: 0): return .location
    case (UInt8(ascii: "D"), 5) where token.matches("DEBUG", at: 0): return .debug
    case (UInt8(ascii: "D"), 6) where token.matches("DEBUG", at: 0) && token[5] &- 0x31 < 5: return .debug
    default: return nil
    }
  }

  /// Recognizes `SEVERITY:  ` at `offset` of a stderr line; returns the severity and where the text starts.
  public static func parseMarker(_ line: ByteView, at offset: Int) -> (Severity, textStart: Int)? {
    // Every severity starts with a capital letter: most places the prefix matcher asks about are rejected here.
    guard offset < line.count, line[offset] &- UInt8(ascii: "A") < 26 else { return nil }
    // The markers most lines have, as PostgreSQL writes them (two spaces after the colon), one word compared
    // each: the same severity and text start as the search below finds (45 instructions a line of a shop log
    // against 138 for the search alone, callgrind).
    if offset + 8 <= line.count {
      let word = UInt64(littleEndian: UnsafeRawPointer(line.baseAddress! + offset).loadUnaligned(as: UInt64.self))
      if word & 0xFFFF_FFFF_FFFF == Self.logMarker { return (.log, offset + 6) }
      if word == Self.errorMarker { return (.error, offset + 8) }
      if word == Self.detailMarker && offset + 9 <= line.count && line[offset + 8] == UInt8(ascii: " ") {
        return (.detail, offset + 9)
      }
    }
    // The longest token is STATEMENT/LOCATION (9 bytes); the colon must come within that.
    var colon = offset
    let limit = min(line.count, offset + 10)
    while colon < limit, line[colon] != UInt8(ascii: ":") { colon += 1 }
    guard colon < limit, colon > offset, let severity = parse(line.slice(offset, colon)) else { return nil }
    var textStart = colon + 1
    // PostgreSQL writes two spaces after the colon; accept one or none too.
    while textStart < line.count, textStart < colon + 3, line[textStart] == UInt8(ascii: " ") { textStart += 1 }
    return (severity, textStart)
  }

  /// `LOG:  `, `ERROR:  ` and `DETAIL: ` as little-endian words, the marker's first byte lowest (a test
  /// compares them with the bytes).
  static let logMarker: UInt64 = 0x2020_3A47_4F4C
  static let errorMarker: UInt64 = 0x2020_3A52_4F52_5245
  static let detailMarker: UInt64 = 0x203A_4C49_4154_4544
}

/// A log record, seen through views into the parser's buffers: valid only while the sink handles it.
/// Fields a format does not carry are empty (`ByteView` of count 0) or nil.
public struct LogEntry {
  public var severity: Severity
  public var time: LogTime?
  /// Backend process id, 0 when the format or prefix does not carry it.
  public var pid: Int32
  public var user: ByteView
  public var database: ByteView
  public var application: ByteView
  public var client: ByteView
  /// The message, continuation lines joined with `\n` (their leading tab removed).
  public var message: ByteView
  /// Secondary fields that csvlog and jsonlog carry in the same record; stderr logs send them as separate entries.
  public var detail: ByteView?
  public var hint: ByteView?
  public var context: ByteView?
  public var statement: ByteView?
  /// The SQLSTATE (`%e`, csvlog's `sql_state_code`, jsonlog's `state_code`), when the log carries it.
  public var sqlState: ByteView?
  /// Line in the input where the record starts.
  public var lineNumber: Int
  /// Who wrote the record: the PostgreSQL server, or a PgBouncer in front of it.
  public var source = Source.postgres

  public enum Source: Sendable { case postgres, pgbouncer }

  public init(
    severity: Severity, time: LogTime?, pid: Int32, user: ByteView, database: ByteView, application: ByteView,
    client: ByteView, message: ByteView, lineNumber: Int
  ) {
    self.severity = severity
    self.time = time
    self.pid = pid
    self.user = user
    self.database = database
    self.application = application
    self.client = client
    self.message = message
    self.lineNumber = lineNumber
  }

  /// A stderr or syslog message without the ` at character N` the server appends to an error's text where it
  /// has a cursor position; csvlog and jsonlog carry the position in a field of its own, so their messages do
  /// not have it, and errors group alike whatever the format.
  public static func withoutCursorPosition(_ message: ByteView, severity: Severity) -> ByteView {
    guard severity != .log, severity.isPrimary else { return message }
    var i = message.count
    while i > 0, message[i - 1] &- 0x30 < 10 { i -= 1 }
    let suffix = " at character "
    guard i < message.count, i >= suffix.utf8.count,
      message.slice(i - suffix.utf8.count, i).elementsEqual(suffix.utf8)
    else { return message }
    return message.slice(0, i - suffix.utf8.count)
  }
}

/// Where parsers hand their records.
public protocol LogEntrySink {
  mutating func consume(_ entry: LogEntry)
}

/// The log formats pgsift reads.
public enum LogFormat: String, Sendable, CaseIterable, Codable {
  case stderr
  case csvlog
  case jsonlog
  /// stderr text sent through syslog (rsyslog, syslog-ng): a syslog header before each piece.
  case syslog
  /// PostgreSQL's syslog lines as Heroku's logplex hands them out: `heroku logs`, or a drain's frames.
  case logplex
  /// A Google Cloud Logging export of Cloud SQL's log: JSON entries, the log line in `textPayload`.
  case cloudsql
  /// An Azure Monitor export of Azure Database for PostgreSQL's log: JSON records of the `PostgreSQLLogs` category.
  case azure
  /// PgBouncer's own log (its logfile, or its stderr).
  case pgbouncer
  /// CloudNativePG's log of an instance pod: JSON lines, PostgreSQL's csvlog record in `record`.
  case cloudnativepg
}

extension LogEntry {
  /// The client's host: `%h`, or `%r` without its port (`10.0.0.7(51234)` is `10.0.0.7`).
  public var clientHost: ByteView {
    guard client.last == UInt8(ascii: ")"), let open = client.lastIndex(of: UInt8(ascii: "(")) else { return client }
    return client.slice(0, open)
  }
}
