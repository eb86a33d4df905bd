// What the log says happened, once records are read: statements run, and errors raised.
import LogFormats

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

/// An ERROR, FATAL or PANIC, with the statement that caused it when the server logged one.
public struct ErrorEvent: Sendable, Codable {
  public var severity: Severity
  public var message: String
  public var detail: String?
  public var hint: String?
  public var statement: String?
  public var time: LogTime?
  public var pid: Int32
  public var user: String
  public var database: String
  public var application: String
  public var lineNumber: Int

  init(entry: LogEntry) {
    severity = entry.severity
    message = entry.message.string
    detail = entry.detail?.string
    hint = entry.hint?.string
    statement = entry.statement?.string
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
  mutating func error(_ event: ErrorEvent)
  /// Any other primary record, counted so the report can say what it passed over.
  mutating func other(_ entry: LogEntry)
}
