// What the log says happened, once records are read: statements run, and errors raised.
import LogFormats
import LogInput

/// A statement the server ran, with its timing when the log gives one.
/// Views are valid only while the sink handles the event.
public struct StatementEvent {
  public var durationUs: Int64?
  public var step: StatementStep
  public var text: ByteView
  /// `parameters: $1 = '...'` when the format carries it in the same record (csvlog, jsonlog).
  public var parameters: ByteView?
  public var entry: LogEntry
}

/// A message with the secondary records the server wrote after it (DETAIL, HINT, STATEMENT): an ERROR, FATAL
/// or PANIC, or a LOG about the server's own work that names a statement (a lock wait, a temporary file).
public struct ServerMessage: Sendable, Codable {
  public var severity: Severity
  public var message: String
  public var detail: String?
  public var hint: String?
  public var statement: String?
  /// The SQLSTATE, when the log carries it (csvlog, jsonlog, or `%e` in the prefix).
  public var sqlState: String?
  public var time: LogTime?
  public var pid: Int32
  public var user: String
  public var database: String
  public var application: String
  public var lineNumber: Int

  /// LOG messages whose DETAIL, HINT or STATEMENT follow them and matter: held until they are complete.
  public static func takesSecondaryRecords(_ message: ByteView) -> Bool {
    message.matches("process ", at: 0) || message.matches("temporary file: ", at: 0)
      || message.matches("checkpoints are occurring too frequently", at: 0)
  }

  init(entry: LogEntry) {
    severity = entry.severity
    message = entry.message.string
    detail = entry.detail?.string
    hint = entry.hint?.string
    statement = entry.statement?.string
    sqlState = entry.sqlState.flatMap { $0.isEmpty ? nil : $0.string }
    time = entry.time
    pid = entry.pid
    user = entry.user.string
    database = entry.database.string
    application = entry.application.string
    lineNumber = entry.lineNumber
  }
}

/// Where the classifier sends events.
public protocol ServerEventSink {
  mutating func statement(_ event: StatementEvent)
  /// `DETAIL:  parameters: ...` arriving on its own line after the execute it belongs to (stderr logs).
  mutating func parameters(_ detail: ByteView, pid: Int32)
  mutating func error(_ event: ServerMessage)
  /// A LOG message that takes secondary records (lock waits, deadlock detection, temporary files, checkpoint
  /// warnings), complete with them.
  mutating func message(_ event: ServerMessage)
  /// Any other primary record, read into what it says (`.other` when it says nothing pgsift counts, so the report
  /// can say what it passed over).
  mutating func activity(_ event: ActivityEvent, from origin: EventOrigin)
}

/// Where and when an event was logged, and by which process.
public struct EventOrigin {
  public var time: LogTime?
  public var pid: Int32
  public var lineNumber: Int

  init(_ entry: LogEntry) {
    time = entry.time
    pid = entry.pid
    lineNumber = entry.lineNumber
  }
}
