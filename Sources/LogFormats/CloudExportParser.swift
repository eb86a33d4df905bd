// Reads the logs managed services hand out as JSON exports, each record holding one PostgreSQL log line:
//
// - Google Cloud SQL, exported from Cloud Logging (a log sink to Cloud Storage writes one entry per line;
//   `gcloud logging read --format=json` writes a pretty-printed array). The line is the entry's `textPayload`,
//   with Cloud SQL's prefix (`%m [%p]: [%l-1] db=%d,user=%u `); entries of other logs are skipped and counted.
// - Azure Database for PostgreSQL, exported by a diagnostic setting (to a storage account: one record per line;
//   to an event hub: `{"records": [...]}`). Records of the `PostgreSQLLogs` category carry the line in
//   `properties.message` (Flexible Server: the whole line, its DETAIL in `properties.detail`) or split into
//   `properties.prefix`, `properties.errorLevel` and `properties.message` (Single Server); the pid and SQLSTATE
//   come in `processId` and `sqlerrcode` when the prefix leaves them out.
//
// Records may span lines, so a file is read whole, in order. Each line taken from a record is parsed as a stderr
// line with the prefix found in them; the lines after the first in a record continue it.
import LogInput

/// Whose export a JSON log is.
public enum CloudProvider: String, Sendable {
  case google
  case azure

  public var format: LogFormat { self == .google ? .cloudsql : .azure }
  public var name: String { self == .google ? "Google Cloud Logging" : "Azure Monitor" }
}

/// Cuts JSON text into top-level objects, or into the elements of a top-level array, whatever the lines.
struct JSONRecordSplitter {
  /// A record larger than this is given up (a damaged file could otherwise fill memory with one).
  static let maxRecordBytes = 64 << 20

  private(set) var record: [UInt8] = []
  private(set) var recordLine = 0
  private var depth = 0
  private var insideString = false
  private var insideArray = false
  /// Whether records come one a line (a log sink's files): known from detection, or from the first whole record.
  /// Then a record still open at the end of its line was cut short, and is given up there rather than swallow
  /// the lines after.
  private var oneALine: Bool?

  init(oneALine: Bool? = nil) { self.oneALine = oneALine }

  /// Whether a record is open at the end of the lines fed so far.
  var isOpen: Bool { depth > 0 }

  enum Event {
    /// A whole record: its bytes, and the lines it started and ended on.
    case record(ByteView, first: Int, last: Int)
    /// Text outside any record that is not JSON punctuation.
    case stray(line: Int)
    /// A record over `maxRecordBytes`, from the line it started on; dropped.
    case oversize(first: Int, last: Int)
    /// A record of a one-a-line export not closed at the end of its line; dropped.
    case unclosed(line: Int)
  }

  mutating func feed(_ line: ByteView, lineNumber: Int, _ handle: (Event) -> Void) {
    var i = 0
    var runStart = 0
    if depth > 0 { record.append(0x0A) }
    while i < line.count {
      let b = line[i]
      if depth == 0 {
        switch b {
        case 0x20, 0x09, 0x0D, UInt8(ascii: ","): i += 1
        case UInt8(ascii: "[") where !insideArray:
          insideArray = true
          i += 1
        case UInt8(ascii: "]"):
          // The array's end (or, read from a saved place inside it, an end whose start came before).
          insideArray = false
          i += 1
        case UInt8(ascii: "{"):
          depth = 1
          record.removeAll(keepingCapacity: true)
          recordLine = lineNumber
          runStart = i
          i += 1
        default:
          handle(.stray(line: lineNumber))
          return
        }
        continue
      }
      if insideString {
        // To the next quote at once; it ends the string unless an odd number of backslashes come before it.
        // (A string cannot span lines in JSON: one still open at a line end fails the record's parse.)
        guard let quote = line.firstIndex(of: UInt8(ascii: "\""), from: i) else { break }
        var backslashes = 0
        while quote - backslashes > i, line[quote - backslashes - 1] == UInt8(ascii: "\\") { backslashes += 1 }
        if backslashes % 2 == 0 { insideString = false }
        i = quote + 1
        continue
      } else if b == UInt8(ascii: "\"") {
        insideString = true
      } else if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
        depth += 1
      } else if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
        depth -= 1
        if depth == 0 {
          if oneALine == nil { oneALine = recordLine == lineNumber }
          record.append(contentsOf: line.slice(runStart, i + 1))
          record.withUnsafeBufferPointer { handle(.record($0, first: recordLine, last: lineNumber)) }
          record.removeAll(keepingCapacity: true)
        }
      }
      i += 1
    }
    if depth > 0 {
      if oneALine == true {
        handle(.unclosed(line: lineNumber))
        reset()
        return
      }
      record.append(contentsOf: line.slice(runStart, line.count))
      if record.count > Self.maxRecordBytes {
        handle(.oversize(first: recordLine, last: lineNumber))
        reset()
      }
    }
  }

  /// Forgets an open record (the end of the input came inside it).
  mutating func reset() {
    depth = 0
    insideString = false
    record = []
  }
}

public struct CloudExportParser: LogParser {
  public let provider: CloudProvider
  public let file: String
  private var own = ParseCounts()
  private var ownDiagnostics = Diagnostics()
  private var inner: StderrParser
  private var splitter = JSONRecordSplitter()
  private var scratch: [UInt8] = []
  /// Times of consecutive records that went back, and forward: an export listed newest first is named.
  private var backwards = 0
  private var forwards = 0
  private var lastTime: LogTime?
  private var lastLine = 0
  /// The last line counted as skipped: a line that holds several bad records is counted once.
  private var skippedThrough = 0
  /// Whether a record is being assembled, which an entry that is no log line of its own continues.
  private var recordOpen = false

  /// `oneALine`: whether detection found the records one a line; nil to learn it from the first record.
  public init(provider: CloudProvider, prefix: LinePrefix, file: String, oneALine: Bool? = nil) {
    self.provider = provider
    self.file = file
    inner = StderrParser(prefix: prefix, file: file, recovers: false)
    splitter = JSONRecordSplitter(oneALine: oneALine)
  }

  public var counts: ParseCounts {
    var total = own
    let records = inner.counts
    total.entries = records.entries
    total.recordsByPrefix = records.recordsByPrefix
    return total
  }

  public var diagnostics: Diagnostics {
    var all = ownDiagnostics
    all.merge(inner.diagnostics)
    return all
  }

  public var zoneNotes: ZoneNotes { inner.zoneNotes }
  public var atRecordBoundary: Bool { !splitter.isOpen }

  /// Whether a line can only come from this provider's export: a line of JSON (it starts with `{`, or with `"`
  /// inside a pretty-printed record) that holds the names the provider's records carry and is no jsonlog record.
  /// A statement in a stderr, csvlog or jsonlog log may hold those names too.
  public static func provider(marking line: ByteView) -> CloudProvider? {
    var start = 0
    while start < line.count, line[start] == UInt8(ascii: " ") { start += 1 }
    guard start < line.count, line[start] == UInt8(ascii: "{") || line[start] == UInt8(ascii: "\""),
      line.firstIndex(of: "\"error_severity\":", from: start) == nil
    else { return nil }
    if line.firstIndex(of: "\"textPayload\"", from: 0) != nil
      || line.firstIndex(of: "cloudsql.googleapis.com", from: 0) != nil
    {
      return .google
    }
    if line.firstIndex(of: "\"PostgreSQLLogs\"", from: 0) != nil
      || line.firstIndex(of: "\"errorLevel\"", from: 0) != nil
    {
      return .azure
    }
    return nil
  }

  /// Whether the sampled lines hold one whole record each, as a log sink's files do: nine in ten of them at
  /// least (blank lines aside), so that a record cut short does not hide it.
  public static func oneALine(_ lines: [[UInt8]]) -> Bool {
    var records = 0
    var others = 0
    for line in lines where !line.isEmpty {
      var splitter = JSONRecordSplitter()
      var whole = false
      line.withUnsafeBufferPointer { view in
        splitter.feed(view, lineNumber: 1) { event in
          if case .record = event { whole = true } else { whole = false }
        }
      }
      if whole && !splitter.isOpen { records += 1 } else { others += 1 }
    }
    return records > 0 && others * 10 <= records + others
  }

  /// Whether a line of an export of a record a line starts a log record: its record's text is a line the
  /// prefix reads, not the next line of a message Cloud SQL's agent sent apart. Pieces of a file cut for the
  /// threads start only there.
  public static func startsRecord(_ line: ByteView, provider: CloudProvider, prefix: LinePrefix) -> Bool {
    guard let value = try? JSONValue.parse(line, keeping: isRead) else { return true }
    guard case .line(let text, _)? = logLines(in: value, provider: provider).first else { return true }
    return text.withUnsafeBufferPointer { view in
      view.first != UInt8(ascii: "\t")
        && prefix.match(view.slice(0, view.firstIndex(of: 0x0A, from: 0) ?? view.count)) != nil
    }
  }

  /// The first line of each log line found in the sampled lines, for prefix detection.
  public static func sampleTexts(_ lines: [[UInt8]], provider: CloudProvider) -> [[UInt8]] {
    var splitter = JSONRecordSplitter()
    var texts: [[UInt8]] = []
    for (n, line) in lines.enumerated() {
      line.withUnsafeBufferPointer { view in
        splitter.feed(view, lineNumber: n + 1) { event in
          guard case .record(let bytes, _, _) = event, let value = try? JSONValue.parse(bytes, keeping: isRead)
          else { return }
          for item in logLines(in: value, provider: provider) {
            if case .line(let text, _) = item {
              texts.append(Array(text.prefix { $0 != 0x0A }))
            }
          }
        }
      }
    }
    return texts
  }

  /// Whether a member of that name is read from a record, at any depth; the others are checked and passed over.
  static func isRead(_ name: [UInt8]) -> Bool {
    name.withUnsafeBufferPointer { key in
      switch key.count {
      case 4: key.matches("time", at: 0)
      case 6: key.matches("prefix", at: 0) || key.matches("detail", at: 0)
      case 7: key.matches("logName", at: 0) || key.matches("records", at: 0) || key.matches("message", at: 0)
      case 8: key.matches("category", at: 0)
      case 9: key.matches("timestamp", at: 0) || key.matches("processId", at: 0)
      case 10: key.matches("properties", at: 0) || key.matches("errorLevel", at: 0) || key.matches("sqlerrcode", at: 0)
      case 11: key.matches("textPayload", at: 0)
      default: false
      }
    }
  }

  /// What one record holds.
  enum Item {
    case line([UInt8], StderrParser.Envelope)
    /// A record that is not a PostgreSQL log line: another log, another category; why.
    case other(String)
  }

  /// The log lines a record holds (an event hub's batch holds many).
  static func logLines(in record: JSONValue, provider: CloudProvider) -> [Item] {
    switch provider {
    case .google:
      // Cloud SQL's log is `projects/P/logs/cloudsql.googleapis.com%2Fpostgres.log`.
      if let log = record["logName"]?.bytes, !log.reversed().starts(with: "postgres.log".utf8.reversed()) {
        return [.other("an entry of \(String(decoding: log, as: UTF8.self)), not of Cloud SQL's postgres.log")]
      }
      guard let text = record["textPayload"]?.bytes else {
        return [.other("a Cloud Logging entry with no textPayload")]
      }
      var envelope = StderrParser.Envelope()
      envelope.time = (record["timestamp"]?.bytes).flatMap(rfc3339)
      return [.line(text, envelope)]
    case .azure:
      if case .array(let batch)? = record["records"] {
        return batch.flatMap { logLines(in: $0, provider: .azure) }
      }
      if let category = record["category"]?.bytes, !category.elementsEqual("PostgreSQLLogs".utf8) {
        return [.other("a record of category \(String(decoding: category, as: UTF8.self)), not PostgreSQLLogs")]
      }
      guard let properties = record["properties"], let message = properties["message"]?.bytes else {
        return [.other("an Azure record with no properties.message")]
      }
      var envelope = StderrParser.Envelope()
      envelope.pid = Int32(truncatingIfNeeded: (properties["processId"]?.bytes).flatMap(number) ?? 0)
      envelope.sqlState = properties["sqlerrcode"]?.bytes ?? []
      envelope.detail = properties["detail"]?.bytes ?? []
      envelope.time = (properties["timestamp"]?.bytes).flatMap(stamp) ?? (record["time"]?.bytes).flatMap(rfc3339)
      // Single Server: the prefix and the severity apart from the message.
      if let prefix = properties["prefix"]?.bytes, !prefix.isEmpty {
        let level = properties["errorLevel"]?.bytes ?? Array("LOG".utf8)
        return [.line(prefix + level + Array(":  ".utf8) + message, envelope)]
      }
      return [.line(message, envelope)]
    }
  }

  static func rfc3339(_ text: [UInt8]) -> LogTime? {
    text.withUnsafeBufferPointer { SyslogParser.headerTime($0, at: 0, now: LogTime(epochMs: 0))?.0 }
  }

  static func stamp(_ text: [UInt8]) -> LogTime? {
    text.withUnsafeBufferPointer { LogTimestamp.parse($0, at: 0)?.time }
  }

  static func number(_ text: [UInt8]) -> Int? {
    text.withUnsafeBufferPointer { view in view.parseDigits(at: 0).flatMap { $0.end == view.count ? $0.value : nil } }
  }

  public mutating func feed<S: LogEntrySink>(_ line: ByteView, lineNumber: Int, into sink: inout S) {
    guard
      let line = Self.admit(
        line, lineNumber: lineNumber, file: file, counts: &own, diagnostics: &ownDiagnostics,
        keepsBlank: splitter.isOpen)
    else { return }
    lastLine = lineNumber
    // Taken out while its records are handled, which changes the rest of the parser.
    var splitter = self.splitter
    self.splitter = JSONRecordSplitter()
    defer { self.splitter = splitter }
    splitter.feed(line, lineNumber: lineNumber) { event in
      switch event {
      case .stray(let number):
        skip(number...number, .unrecognizedLine, "text outside any JSON record of the \(provider.name) export")
      case .unclosed(let number):
        skip(number...number, .malformedRecord, "a JSON record not closed at the end of its line; dropped")
      case .oversize(let first, let last):
        skip(
          first...last, .malformedRecord,
          "a JSON record over \(JSONRecordSplitter.maxRecordBytes >> 20) MiB; dropped")
      case .record(let bytes, let first, let last):
        let value: JSONValue
        do throws(JSONSyntaxError) {
          value = try JSONValue.parse(bytes, keeping: Self.isRead)
        } catch {
          skip(
            first...last, .malformedRecord,
            "not a JSON record: \(error.reason) at byte \(error.column) of the record")
          return
        }
        for item in Self.logLines(in: value, provider: provider) {
          switch item {
          case .other(let what):
            skip(first...last, .unrecognizedLine, what)
          case .line(let text, let envelope):
            add(text, envelope: envelope, lines: first...last, into: &sink)
          }
        }
      }
    }
  }

  /// Parses one log line of a record, its lines after the first continuing it. The record is handed out when
  /// the next one starts (or at the end): Cloud SQL's agent sends the lines of a long message (autovacuum's
  /// details, a multi-line statement) as entries of their own, each continuing the record before it.
  private mutating func add<S: LogEntrySink>(
    _ text: [UInt8], envelope: StderrParser.Envelope, lines: ClosedRange<Int>, into sink: inout S
  ) {
    let lineNumber = lines.lowerBound
    if let time = envelope.time {
      if let last = lastTime { if time < last { backwards += 1 } else if last < time { forwards += 1 } }
      lastTime = time
    }
    let skippedBefore = inner.counts.skippedLines
    let continues =
      recordOpen
      && text.withUnsafeBufferPointer { view in
        view.first == UInt8(ascii: "\t")
          || inner.prefix.match(view.slice(0, view.firstIndex(of: 0x0A, from: 0) ?? view.count)) == nil
      }
    if !continues {
      inner.finish(into: &sink)
      inner.envelope = envelope
    }
    recordOpen = true
    text.withUnsafeBufferPointer { view in
      var start = 0
      var first = !continues
      while start <= view.count {
        let end = view.firstIndex(of: 0x0A, from: start) ?? view.count
        let piece = view.slice(start, end)
        if first || piece.first == UInt8(ascii: "\t") {
          inner.feed(piece, lineNumber: lineNumber, into: &sink)
        } else {
          // A line of the record without the tab stderr logs put before it.
          scratch.removeAll(keepingCapacity: true)
          scratch.append(UInt8(ascii: "\t"))
          scratch.append(contentsOf: piece)
          scratch.withUnsafeBufferPointer { inner.feed($0, lineNumber: lineNumber, into: &sink) }
        }
        first = false
        start = end + 1
      }
    }
    // A line the prefix does not match is counted once per line of the file the record took.
    if inner.counts.skippedLines > skippedBefore { count(skipped: lines) }
  }

  private mutating func skip(_ lines: ClosedRange<Int>, _ kind: DiagnosticKind, _ reason: String) {
    count(skipped: lines)
    ownDiagnostics.report(kind, at: InputLocation(file: file, line: lines.lowerBound), reason)
  }

  private mutating func count(skipped lines: ClosedRange<Int>) {
    let from = max(lines.lowerBound, skippedThrough + 1)
    guard from <= lines.upperBound else { return }
    own.skippedLines += lines.upperBound - from + 1
    skippedThrough = lines.upperBound
  }

  public mutating func flush<S: LogEntrySink>(into sink: inout S) {
    inner.finish(into: &sink)
    inner.envelope = nil
    recordOpen = false
  }

  public mutating func finish<S: LogEntrySink>(into sink: inout S) {
    flush(into: &sink)
    if splitter.isOpen {
      let first = splitter.recordLine
      skip(first...max(lastLine, first), .malformedRecord, "the input ends inside a JSON record")
      splitter.reset()
    }
    // Over enough records to tell (a piece of a log cut for parallel reading may hold only a few), and most of
    // them: PostgreSQL's own files are not strictly in time order either.
    if backwards > forwards && backwards >= 100 {
      ownDiagnostics.report(
        .notice, at: InputLocation(file: file),
        "records come newest first (\(backwards) of \(backwards + forwards) steps go back in time): sessions, lock "
          + "waits and the time series read them oldest first; export them in order (gcloud logging read "
          + "--order=asc)")
    }
  }
}
