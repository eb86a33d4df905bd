// A copy of a log record that outlives the parser's buffers, for records held back until a later one
// completes them.
import LogFormats

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

  init(_ entry: LogEntry, message text: ByteView) {
    severity = entry.severity
    time = entry.time
    pid = entry.pid
    lineNumber = entry.lineNumber
    user = append(entry.user)
    database = append(entry.database)
    application = append(entry.application)
    client = append(entry.client)
    message = append(text)
  }

  private mutating func append(_ bytes: ByteView) -> Range<Int> {
    let start = storage.count
    storage.append(contentsOf: bytes)
    return start..<storage.count
  }

  /// Lends the copy out as a record; `message` is the text it was made with.
  func withEntry<R>(_ body: (LogEntry) -> R) -> R {
    storage.withUnsafeBufferPointer { view in
      body(
        LogEntry(
          severity: severity, time: time, pid: pid,
          user: view.slice(user.lowerBound, user.upperBound),
          database: view.slice(database.lowerBound, database.upperBound),
          application: view.slice(application.lowerBound, application.upperBound),
          client: view.slice(client.lowerBound, client.upperBound),
          message: view.slice(message.lowerBound, message.upperBound), lineNumber: lineNumber))
    }
  }
}
