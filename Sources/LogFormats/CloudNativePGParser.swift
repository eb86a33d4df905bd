// Reads CloudNativePG's log: what `kubectl logs` prints of a PostgreSQL instance pod the operator runs, one JSON
// object a line.
//
//   {"level":"info","ts":"2025-12-09T00:32:20.823Z","logger":"postgres","msg":"record","logging_pod":"pg-1",
//    "record":{"log_time":"2025-12-09 00:32:20.822 UTC","user_name":"app","database_name":"app",…}}
//
// PostgreSQL's records come with `"logger":"postgres"` and the server's csvlog record in `record`, its members
// named after the csvlog columns, every value a string (empty ones left out by recent versions). Lines of the
// operator's other loggers (instance-manager, pg_controldata, barman-cloud-wal-archive, …) are counted as other
// programs' lines.
import LogInput

public struct CloudNativePGParser: LogParser {
  public let file: String
  public private(set) var counts = ParseCounts()
  public private(set) var diagnostics = Diagnostics()
  public private(set) var zoneNotes = ZoneNotes()
  public let zones: LogTimeZone
  /// The strings of the current record, one after another, for the entry's views.
  private var values: [UInt8] = []

  public var atRecordBoundary: Bool { true }

  public init(file: String, zones: LogTimeZone = .standard) {
    self.file = file
    self.zones = zones
  }

  /// The members of `record` pgsift reads, as csvlog names its columns.
  enum Field: Int, CaseIterable {
    case logTime, userName, databaseName, processID, connectionFrom, errorSeverity, sqlStateCode, message, detail
    case hint, context, query, applicationName

    var name: String {
      switch self {
      case .logTime: "log_time"
      case .userName: "user_name"
      case .databaseName: "database_name"
      case .processID: "process_id"
      case .connectionFrom: "connection_from"
      case .errorSeverity: "error_severity"
      case .sqlStateCode: "sql_state_code"
      case .message: "message"
      case .detail: "detail"
      case .hint: "hint"
      case .context: "context"
      case .query: "query"
      case .applicationName: "application_name"
      }
    }

    static let byName: [[UInt8]: Field] = Dictionary(uniqueKeysWithValues: allCases.map { (Array($0.name.utf8), $0) })
  }

  static func isRead(_ key: [UInt8]) -> Bool {
    key.elementsEqual("logger".utf8) || key.elementsEqual("record".utf8) || Field.byName[key] != nil
  }

  /// Whether a line is one of CloudNativePG's: a JSON object with its `logger` and `logging_pod` members.
  public static func marks(_ line: ByteView) -> Bool {
    line.first == UInt8(ascii: "{") && line.firstIndex(of: "\"logger\":", from: 0) != nil
      && (line.firstIndex(of: "\"logging_pod", from: 0) != nil || line.firstIndex(of: "\"record\":{", from: 0) != nil)
  }

  public mutating func feed<S: LogEntrySink>(_ line: ByteView, lineNumber: Int, into sink: inout S) {
    guard let line = Self.admit(line, lineNumber: lineNumber, file: file, counts: &counts, diagnostics: &diagnostics)
    else { return }
    let object: JSONValue
    do {
      object = try JSONValue.parse(line, keeping: Self.isRead)
    } catch {
      skip(lineNumber, "not a CloudNativePG JSON line: \(error.reason) at column \(error.column)")
      return
    }
    // The instance manager's own messages carry no logger.
    let logger = object["logger"]?.bytes.map { String(decoding: $0, as: UTF8.self) } ?? "instance manager"
    guard logger == "postgres" else {
      counts.other("CloudNativePG \(logger)")
      return
    }
    guard case .object(let members)? = object["record"] else {
      skip(lineNumber, "a postgres line of CloudNativePG with no record")
      return
    }
    var ranges = [Range<Int>?](repeating: nil, count: Field.allCases.count)
    values.removeAll(keepingCapacity: true)
    for (key, value) in members {
      guard let field = Field.byName[key], let bytes = value.bytes, !bytes.isEmpty else { continue }
      ranges[field.rawValue] = values.count..<(values.count + bytes.count)
      values += bytes
    }
    var problem: String?
    values.withUnsafeBufferPointer { view in
      func value(_ field: Field) -> ByteView? {
        ranges[field.rawValue].map { view.slice($0.lowerBound, $0.upperBound) }
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
      if let stamp = value(.logTime), let parsed = LogTimestamp.parse(stamp, at: 0, zones: zones) {
        time = parsed.time
        if !parsed.zoneKnown || parsed.zoneAmbiguous {
          zoneNotes.note(parsed, in: stamp, zones: zones, line: lineNumber)
        }
      }
      var entry = LogEntry(
        severity: severity, time: time,
        pid: Int32(truncatingIfNeeded: value(.processID)?.parseDigits(at: 0)?.value ?? 0),
        user: value(.userName) ?? empty, database: value(.databaseName) ?? empty,
        application: value(.applicationName) ?? empty, client: value(.connectionFrom) ?? empty, message: message,
        lineNumber: lineNumber)
      entry.detail = value(.detail)
      entry.hint = value(.hint)
      entry.context = value(.context)
      entry.statement = value(.query)
      entry.sqlState = value(.sqlStateCode)
      sink.consume(entry)
    }
    if let problem {
      skip(lineNumber, "CloudNativePG record has \(problem)")
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
