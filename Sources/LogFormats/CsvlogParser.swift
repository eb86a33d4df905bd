// Reads csvlog: one CSV record per log record, quoted fields that may span lines.
import LogInput

public struct CsvlogParser: LogParser {
  public let file: String
  public private(set) var counts = ParseCounts()
  public private(set) var diagnostics = Diagnostics()

  /// Raw bytes of the record being read, lines joined with `\n`.
  private var record: [UInt8] = []
  private var recordLine = 0
  private var recordLines = 0
  private var insideQuotes = false
  /// Unquoted field values of the current record, and where each one lies in it.
  private var values: [UInt8] = []
  private var fields: [Range<Int>] = []
  public private(set) var zoneNotes = ZoneNotes()
  /// How the zone after each timestamp is read.
  public let zones: LogTimeZone

  /// csvlog columns pgsift reads (0-based), as PostgreSQL 13 to 17 write them.
  enum Column {
    static let time = 0, user = 1, database = 2, pid = 3, client = 4, severity = 11, sqlState = 12, message = 13,
      detail = 14, hint = 15, context = 18, query = 19, application = 22
    /// PostgreSQL 13 writes 23 columns, 14 and later 26.
    static let minimumCount = 23
  }

  public var atRecordBoundary: Bool { recordLines == 0 }

  public init(file: String, zones: LogTimeZone = .standard) {
    self.file = file
    self.zones = zones
    record.reserveCapacity(64 * 1024)
    values.reserveCapacity(64 * 1024)
  }

  public mutating func feed<S: LogEntrySink>(_ line: ByteView, lineNumber: Int, into sink: inout S) {
    guard
      let line = Self.admit(
        line, lineNumber: lineNumber, file: file, counts: &counts, diagnostics: &diagnostics, keepsBlank: true)
    else { return }
    if recordLines == 0 {
      if line.isEmpty {
        counts.blankLines += 1
        return
      }
      record.removeAll(keepingCapacity: true)
      recordLine = lineNumber
    } else {
      record.append(UInt8(ascii: "\n"))
    }
    record.append(contentsOf: line)
    recordLines += 1
    if Self.flipsQuoting(line) { insideQuotes.toggle() }
    if !insideQuotes { emitRecord(into: &sink) }
  }

  /// Whether a line leaves the quoting state the opposite of how it found it: each quote toggles the state, an
  /// escaped quote (`""`) toggles it twice, so an odd number of quotes flips it.
  static func flipsQuoting(_ line: ByteView) -> Bool {
    var odd = false
    var position = 0
    while let quote = line.firstIndex(of: UInt8(ascii: "\""), from: position) {
      odd.toggle()
      position = quote + 1
    }
    return odd
  }

  public mutating func finish<S: LogEntrySink>(into sink: inout S) {
    guard recordLines > 0 else { return }
    malformed("record starting here has an unterminated quoted field")
  }

  private mutating func malformed(_ reason: String) {
    counts.skippedLines += recordLines
    diagnostics.report(.malformedRecord, at: InputLocation(file: file, line: recordLine), reason)
    recordLines = 0
    insideQuotes = false
  }

  private mutating func emitRecord<S: LogEntrySink>(into sink: inout S) {
    splitFields()
    guard fields.count >= Column.minimumCount else {
      malformed("csvlog record has \(fields.count) fields, expected at least \(Column.minimumCount)")
      return
    }
    let lineNumber = recordLine
    var problem: String?
    values.withUnsafeBufferPointer { view in
      func field(_ i: Int) -> ByteView { view.slice(fields[i].lowerBound, fields[i].upperBound) }
      func optional(_ i: Int) -> ByteView? { fields[i].isEmpty ? nil : field(i) }
      guard let severity = Severity.parse(field(Column.severity)) else {
        problem = "unknown severity '\(field(Column.severity).string)'"
        return
      }
      let timestamp = LogTimestamp.parse(field(Column.time), at: 0, zones: zones)
      if timestamp == nil {
        problem = "log_time '\(field(Column.time).string)' is not a timestamp"
        return
      }
      if let timestamp, !timestamp.zoneKnown || timestamp.zoneAmbiguous {
        zoneNotes.note(timestamp, in: field(Column.time), zones: zones, line: lineNumber)
      }
      var entry = LogEntry(
        severity: severity, time: timestamp?.time,
        pid: Int32(truncatingIfNeeded: field(Column.pid).parseDigits(at: 0)?.value ?? 0),
        user: field(Column.user), database: field(Column.database), application: field(Column.application),
        client: field(Column.client), message: field(Column.message), lineNumber: lineNumber)
      entry.detail = optional(Column.detail)
      entry.hint = optional(Column.hint)
      entry.context = optional(Column.context)
      entry.statement = optional(Column.query)
      entry.sqlState = optional(Column.sqlState)
      sink.consume(entry)
    }
    if let problem {
      malformed(problem)
      return
    }
    counts.entries += 1
    recordLines = 0
  }

  /// Splits `record` into unquoted values, written one after another into `values`.
  private mutating func splitFields() {
    values.removeAll(keepingCapacity: true)
    fields.removeAll(keepingCapacity: true)
    var start = 0
    var quoted = false
    var i = 0
    let n = record.count
    record.withUnsafeBufferPointer { raw in
      while i < n {
        let b = raw[i]
        if quoted {
          if b == UInt8(ascii: "\"") {
            if i + 1 < n && raw[i + 1] == UInt8(ascii: "\"") {
              values.append(b)
              i += 2
              continue
            }
            quoted = false
          } else {
            values.append(b)
          }
        } else if b == UInt8(ascii: "\"") {
          quoted = true
        } else if b == UInt8(ascii: ",") {
          fields.append(start..<values.count)
          start = values.count
        } else {
          values.append(b)
        }
        i += 1
      }
    }
    fields.append(start..<values.count)
  }
}
