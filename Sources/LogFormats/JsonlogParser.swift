// Reads jsonlog (PostgreSQL 15 and later): one flat JSON object per line.
import LogInput

public struct JsonlogParser: LogParser {
  public let file: String
  public private(set) var counts = ParseCounts()
  public private(set) var diagnostics = Diagnostics()

  /// Decoded string values of the current line, one after another.
  private var values: [UInt8] = []
  public private(set) var zoneNotes = ZoneNotes()
  /// How the zone after each timestamp is read.
  public let zones: LogTimeZone

  public var atRecordBoundary: Bool { true }

  public init(file: String, zones: LogTimeZone = .standard) {
    self.file = file
    self.zones = zones
    values.reserveCapacity(64 * 1024)
  }

  /// The keys pgsift reads; values of other keys are checked for syntax and passed over.
  enum Key: Int, CaseIterable {
    case timestamp, user, dbname, pid, remoteHost, errorSeverity, message, detail, hint, context, statement,
      applicationName, stateCode

    static func of(_ name: ByteView) -> Key? {
      switch name.count {
      case 3 where name.matches("pid", at: 0): .pid
      case 4 where name.matches("user", at: 0): .user
      case 4 where name.matches("hint", at: 0): .hint
      case 6 where name.matches("dbname", at: 0): .dbname
      case 6 where name.matches("detail", at: 0): .detail
      case 7 where name.matches("message", at: 0): .message
      case 7 where name.matches("context", at: 0): .context
      case 9 where name.matches("timestamp", at: 0): .timestamp
      case 9 where name.matches("statement", at: 0): .statement
      case 10 where name.matches("state_code", at: 0): .stateCode
      case 11 where name.matches("remote_host", at: 0): .remoteHost
      case 14 where name.matches("error_severity", at: 0): .errorSeverity
      case 16 where name.matches("application_name", at: 0): .applicationName
      default: nil
      }
    }
  }

  public mutating func feed<S: LogEntrySink>(_ line: ByteView, lineNumber: Int, into sink: inout S) {
    guard let line = Self.admit(line, lineNumber: lineNumber, file: file, counts: &counts, diagnostics: &diagnostics)
    else { return }
    var ranges = [Range<Int>?](repeating: nil, count: Key.allCases.count)
    values.removeAll(keepingCapacity: true)
    var reader = JSONObjectReader(line: line)
    do {
      try reader.read(into: &values) { key, value in
        guard let known = Key.of(key) else { return }
        ranges[known.rawValue] = value
      }
    } catch {
      skip(lineNumber, "not a jsonlog object: \(error.reason) at column \(error.column)")
      return
    }
    var problem: String?
    values.withUnsafeBufferPointer { view in
      func value(_ key: Key) -> ByteView? {
        ranges[key.rawValue].map { view.slice($0.lowerBound, $0.upperBound) }
      }
      let empty = ByteView(start: nil, count: 0)
      guard let severityText = value(.errorSeverity), let severity = Severity.parse(severityText) else {
        problem = "no known error_severity"
        return
      }
      guard let message = value(.message) else {
        problem = "no message"
        return
      }
      var time: LogTime?
      if let stamp = value(.timestamp), let parsed = LogTimestamp.parse(stamp, at: 0, zones: zones) {
        time = parsed.time
        if !parsed.zoneKnown || parsed.zoneAmbiguous {
          zoneNotes.note(parsed, in: stamp, zones: zones, line: lineNumber)
        }
      }
      var entry = LogEntry(
        severity: severity, time: time,
        pid: Int32(truncatingIfNeeded: value(.pid)?.parseDigits(at: 0)?.value ?? 0),
        user: value(.user) ?? empty, database: value(.dbname) ?? empty,
        application: value(.applicationName) ?? empty, client: value(.remoteHost) ?? empty,
        message: message, lineNumber: lineNumber)
      entry.detail = value(.detail)
      entry.hint = value(.hint)
      entry.context = value(.context)
      entry.statement = value(.statement)
      entry.sqlState = value(.stateCode)
      sink.consume(entry)
    }
    if let problem {
      skip(lineNumber, "jsonlog object has \(problem)")
      return
    }
    counts.entries += 1
  }

  public mutating func finish<S: LogEntrySink>(into sink: inout S) {}

  private mutating func skip(_ lineNumber: Int, _ reason: String) {
    counts.skippedLines += 1
    diagnostics.report(.malformedRecord, at: InputLocation(file: file, line: lineNumber), reason)
  }
}

/// Reads one flat JSON object; string values are unescaped into a shared buffer and handed out as ranges of it.
/// Numbers, booleans and null are handed out as their raw text (also copied into the buffer).
struct JSONObjectReader {
  let line: ByteView
  var i = 0

  init(line: ByteView) { self.line = line }

  mutating func read(
    into values: inout [UInt8], _ body: (_ key: ByteView, _ value: Range<Int>) -> Void
  ) throws(JSONSyntaxError) {
    skipSpace()
    try expect(UInt8(ascii: "{"))
    skipSpace()
    if peek() == UInt8(ascii: "}") { return }
    var keyBuffer: [UInt8] = []
    while true {
      skipSpace()
      keyBuffer.removeAll(keepingCapacity: true)
      _ = try readString(into: &keyBuffer)
      skipSpace()
      try expect(UInt8(ascii: ":"))
      skipSpace()
      let start = values.count
      if peek() == UInt8(ascii: "\"") {
        _ = try readString(into: &values)
      } else if peek() == UInt8(ascii: "{") || peek() == UInt8(ascii: "[") {
        throw JSONSyntaxError(reason: "nested value", column: i + 1)
      } else {
        let scalarStart = i
        while i < line.count, !isDelimiter(line[i]) { i += 1 }
        guard i > scalarStart else { throw JSONSyntaxError(reason: "missing value", column: i + 1) }
        values.append(contentsOf: line.slice(scalarStart, i))
      }
      keyBuffer.withUnsafeBufferPointer { key in body(key, start..<values.count) }
      skipSpace()
      let b = peek()
      i += 1
      if b == UInt8(ascii: ",") { continue }
      if b == UInt8(ascii: "}") { break }
      throw JSONSyntaxError(reason: b == nil ? "object not closed" : "expected , or }", column: i)
    }
    skipSpace()
    guard i == line.count else { throw JSONSyntaxError(reason: "text after the object", column: i + 1) }
  }

  private func peek() -> UInt8? { i < line.count ? line[i] : nil }

  private func isDelimiter(_ b: UInt8) -> Bool {
    b == UInt8(ascii: ",") || b == UInt8(ascii: "}") || b == UInt8(ascii: " ") || b == UInt8(ascii: "\t")
  }

  private mutating func skipSpace() {
    while i < line.count, line[i] == UInt8(ascii: " ") || line[i] == UInt8(ascii: "\t") { i += 1 }
  }

  private mutating func expect(_ b: UInt8) throws(JSONSyntaxError) {
    guard i < line.count, line[i] == b else {
      throw JSONSyntaxError(reason: "expected \(Character(Unicode.Scalar(b)))", column: i + 1)
    }
    i += 1
  }

  /// Reads a JSON string at the current position, appending its unescaped UTF-8 to `out`.
  mutating func readString(into out: inout [UInt8]) throws(JSONSyntaxError) -> Int {
    try line.readJSONString(at: &i, into: &out)
  }
}
