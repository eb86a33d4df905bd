// A copy of a log record that outlives the parser's buffers, for records held back until a later one
// completes them, or until the record before them is known.
import LogFormats
import LogInput

struct OwnedEntry {
  var severity: Severity
  var time: LogTime?
  var pid: Int32
  var lineNumber: Int
  var storage: [UInt8] = []
  var user = 0..<0
  var database = 0..<0
  var application = 0..<0
  var client = 0..<0
  var message = 0..<0
  var detail: Range<Int>?
  var hint: Range<Int>?
  var context: Range<Int>?
  var statement: Range<Int>?
  var sqlState: Range<Int>?

  /// A copy of `entry` with `text` as its message; `whole` keeps its DETAIL, HINT, CONTEXT and STATEMENT too,
  /// and `parameters` stands as its DETAIL.
  init(_ entry: LogEntry, message text: ByteView, whole: Bool = false, parameters: ByteView? = nil) {
    severity = entry.severity
    time = entry.time
    pid = entry.pid
    lineNumber = entry.lineNumber
    user = append(entry.user)
    database = append(entry.database)
    application = append(entry.application)
    client = append(entry.client)
    message = append(text)
    sqlState = entry.sqlState.map { append($0) }
    if whole {
      detail = entry.detail.map { append($0) }
      hint = entry.hint.map { append($0) }
      context = entry.context.map { append($0) }
      statement = entry.statement.map { append($0) }
    }
    if let parameters { detail = append(parameters) }
  }

  private mutating func append(_ bytes: ByteView) -> Range<Int> {
    let start = storage.count
    storage.append(contentsOf: bytes)
    return start..<storage.count
  }

  /// Lends the copy out as a record; `message` is the text it was made with.
  func withEntry<R>(_ body: (LogEntry) -> R) -> R {
    storage.withUnsafeBufferPointer { view in
      func slice(_ range: Range<Int>) -> ByteView { view.slice(range.lowerBound, range.upperBound) }
      var entry = LogEntry(
        severity: severity, time: time, pid: pid, user: slice(user), database: slice(database),
        application: slice(application), client: slice(client), message: slice(message), lineNumber: lineNumber)
      entry.detail = detail.map(slice)
      entry.hint = hint.map(slice)
      entry.context = context.map(slice)
      entry.statement = statement.map(slice)
      entry.sqlState = sqlState.map(slice)
      return body(entry)
    }
  }
}
