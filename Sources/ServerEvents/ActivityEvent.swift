// What the server's own LOG records say, read once here into typed events, so that the statistics after this
// stage only count: connections and sessions, checkpoints, autovacuum and autoanalyze, auto_explain plans, bare
// and localized durations, PgBouncer's lines. PostgreSQL's messages are read in English (lc_messages = 'C').
import LogFormats
import LogInput

/// A primary record that is not a statement nor a message with secondary records, read.
public enum ActivityEvent {
  case connectionReceived(host: String)
  /// Names run to the next label, not the next space: `application_name=PostgreSQL JDBC Driver`.
  case connectionAuthorized(user: String, database: String?, application: String)
  /// `disconnection: session time: H:MM:SS.mmm`; nil when the time does not read.
  case disconnection(sessionMs: Int64?)
  /// `checkpoint starting:` with its flags (`time`, `wal`, `immediate`, `force`, `wait`, …).
  case checkpointStarting(flags: [String])
  case checkpointComplete(buffers: Int64, writeMs: Int64, syncMs: Int64, totalMs: Int64)
  case autovacuum(table: String, elapsedMs: Int64, tuplesRemoved: Int64)
  case autoanalyze(table: String, elapsedMs: Int64)
  /// An auto_explain record: the query and the facts of its plan.
  case plan(query: String, facts: PlanFacts)
  /// A `duration:` with no statement, the second half of a log_statement pair the classifier could not join.
  case bareDuration
  /// A duration in a language other than English (`Dauer: 6.261 ms`): the word for "duration".
  case localizedDuration(word: String)
  /// A line of PgBouncer's own log.
  case pgbouncer(PgBouncerEvent)
  /// Any other record, counted as passed over.
  case other

  /// What a record that is not a statement (nor a bare duration, which the classifier tells) says.
  static func read(_ entry: LogEntry) -> ActivityEvent {
    if entry.source == .pgbouncer { return .pgbouncer(PgBouncerEvent(entry)) }
    guard entry.severity == .log else { return .other }
    let message = entry.message
    if let word = localizedDurationWord(message) { return .localizedDuration(word: word) }
    guard let first = message.first else { return .other }
    switch first {
    case UInt8(ascii: "c"): return connectionOrCheckpoint(message)
    case UInt8(ascii: "d"):
      if message.matches("duration: ", at: 0) {
        guard let (query, facts) = PlanFacts.read(message.string) else { return .other }
        return .plan(query: query, facts: facts)
      }
      guard message.matches("disconnection: session time: ", at: 0) else { return .other }
      let text = message.string.dropFirst("disconnection: session time: ".count)
      return .disconnection(sessionMs: MessageText.sessionMilliseconds(text))
    case UInt8(ascii: "a"): return maintenance(message.string[...])
    default: return .other
    }
  }

  private static func connectionOrCheckpoint(_ message: ByteView) -> ActivityEvent {
    if case .received(let host, _)? = ConnectionMessage.parse(message) {
      return .connectionReceived(host: host.string)
    }
    if message.matches("connection authorized: ", at: 0),
      case .authorized(let user, let database, let application)? = ConnectionMessage.parse(message)
    {
      return .connectionAuthorized(
        user: user.string, database: database?.string, application: application?.string ?? "")
    }
    if message.matches("checkpoint starting: ", at: 0) {
      let flags = message.string.dropFirst("checkpoint starting: ".count)
      return .checkpointStarting(flags: flags.split(separator: " ").map(String.init))
    }
    if message.matches("checkpoint complete: ", at: 0) {
      let text = message.string[...]
      // Seconds with three decimals: in thousandths, milliseconds.
      return .checkpointComplete(
        buffers: MessageText.number(after: "wrote ", in: text) ?? 0,
        writeMs: MessageText.milliseconds(after: "write=", in: text) ?? 0,
        syncMs: MessageText.milliseconds(after: "sync=", in: text) ?? 0,
        totalMs: MessageText.milliseconds(after: "total=", in: text) ?? 0)
    }
    return .other
  }

  /// `automatic vacuum of table`, `automatic aggressive vacuum [to prevent wraparound] of table`, `automatic
  /// analyze of table`.
  private static func maintenance(_ text: Substring) -> ActivityEvent {
    let head = text.prefix { $0 != "\"" }
    let vacuum = head.hasPrefix("automatic ") && head.contains(" vacuum ") && head.hasSuffix(" of table ")
    guard vacuum || head == "automatic analyze of table ",
      let table = text.split(separator: "\"", maxSplits: 2, omittingEmptySubsequences: false).dropFirst().first
    else { return .other }
    // Seconds in the `system usage` line (`elapsed: 0.05 s`), or PostgreSQL 12's `… sec elapsed`.
    let elapsed = MessageText.milliseconds(after: "elapsed: ", in: text) ?? 0
    return vacuum
      ? .autovacuum(
        table: String(table), elapsedMs: elapsed, tuplesRemoved: MessageText.number(after: "tuples: ", in: text) ?? 0)
      : .autoanalyze(table: String(table), elapsedMs: elapsed)
  }

  /// The word before `: 1.234 ms` when a LOG message starts like a duration in a language other than English
  /// (`Dauer: 6.261 ms`, `durée : 6.737 ms`); nil otherwise.
  static func localizedDurationWord(_ message: ByteView) -> String? {
    var i = 0
    // A word of letters, any script (bytes of UTF-8 sequences count as letters).
    while i < message.count, i < 40, message[i] >= 0x80 || (message[i] | 0x20) &- UInt8(ascii: "a") < 26 { i += 1 }
    guard i > 0 else { return nil }
    let word = message.slice(0, i)
    var j = i
    if j < message.count, message[j] == UInt8(ascii: " ") { j += 1 }
    guard j < message.count, message[j] == UInt8(ascii: ":") else { return nil }
    j += 1
    while j < message.count, message[j] == UInt8(ascii: " ") { j += 1 }
    guard let (_, end) = message.parseThousandths(at: j), message.matches(" ms", at: end),
      !word.matches("duration", at: 0)
    else { return nil }
    return word.string
  }
}

/// What a message that came with its secondary records, or an error, says.
public enum MessageKind: Equatable {
  /// `temporary file: path …, size N`.
  case temporaryFile(bytes: Int64)
  /// `process … still waiting for ShareLock … after 1000.072 ms`: the mode, and the time waited so far.
  case lockWaiting(mode: String, afterUs: Int64)
  /// `process … acquired ShareLock … after 1482.3 ms`.
  case lockAcquired(mode: String, afterUs: Int64)
  /// `process … detected deadlock while waiting for ShareLock …`.
  case deadlockWhileWaiting(mode: String)
  case checkpointsTooFrequent
  /// The ERROR `deadlock detected`.
  case deadlock
  /// `canceling statement due to statement timeout` (the reason), `canceling autovacuum task`.
  case cancelled(reason: String)
  /// A FATAL authentication failure (bad password, no pg_hba.conf entry, …).
  case authenticationFailure
  case other

  public init(_ m: ServerMessage) {
    let text = m.message[...]
    if m.severity.isError {
      if text == "deadlock detected" {
        self = .deadlock
      } else if text.hasPrefix("canceling statement due to ") {
        self = .cancelled(reason: String(text.dropFirst("canceling statement due to ".count)))
      } else if text.hasPrefix("canceling autovacuum task") {
        self = .cancelled(reason: "autovacuum task")
      } else if m.severity == .fatal
        && (text.contains("authentication failed") || text.hasPrefix("no pg_hba.conf entry"))
      {
        self = .authenticationFailure
      } else {
        self = .other
      }
    } else if text.hasPrefix("temporary file: ") {
      self = MessageText.number(after: ", size ", in: text).map { .temporaryFile(bytes: $0) } ?? .other
    } else if text.hasPrefix("process "),
      let mode = MessageText.word(after: " for ", in: text) ?? MessageText.word(after: " acquired ", in: text)
    {
      let after = MessageText.milliseconds(after: " after ", in: text) ?? 0
      if text.contains(" still waiting for ") {
        self = .lockWaiting(mode: mode, afterUs: after)
      } else if text.contains(" acquired ") {
        self = .lockAcquired(mode: mode, afterUs: after)
      } else if text.contains(" detected deadlock while waiting for ") {
        self = .deadlockWhileWaiting(mode: mode)
      } else {
        self = .other
      }
    } else if text.hasPrefix("checkpoints are occurring too frequently") {
      self = .checkpointsTooFrequent
    } else {
      self = .other
    }
  }
}

/// Numbers and words in the server's messages.
public enum MessageText {
  /// The integer right after `marker`.
  public static func number(after marker: String, in text: Substring) -> Int64? {
    guard let range = text.firstRange(of: marker) else { return nil }
    let digits = text[range.upperBound...].prefix { $0.isASCII && $0.isNumber }
    return Int64(digits)
  }

  /// The decimal right after `marker` (`408.008`), in thousandths: microseconds for milliseconds, milliseconds for
  /// seconds.
  public static func milliseconds(after marker: String, in text: Substring) -> Int64? {
    guard let range = text.firstRange(of: marker) else { return nil }
    return thousandths(text[range.upperBound...])
  }

  /// The decimal at the start of `text`, in thousandths (`ByteView.parseThousandths`, as durations are read).
  public static func thousandths(_ text: Substring) -> Int64? {
    var text = text
    return text.withUTF8 { $0.parseThousandths(at: 0)?.value }
  }

  /// The word right after `marker`, up to a space, comma or the end.
  public static func word(after marker: String, in text: Substring) -> String? {
    guard let range = text.firstRange(of: marker) else { return nil }
    let word = text[range.upperBound...].prefix { $0 != " " && $0 != "," && $0 != "\n" }
    return word.isEmpty ? nil : String(word)
  }

  /// `H:MM:SS.mmm` as milliseconds.
  public static func sessionMilliseconds(_ text: Substring) -> Int64? {
    let clock = text.prefix { $0 != " " }
    let parts = clock.split(separator: ":")
    guard parts.count == 3, let hours = Int64(parts[0]), let minutes = Int64(parts[1]),
      let seconds = thousandths(parts[2])
    else { return nil }
    return (hours * 3600 + minutes * 60) * 1000 + seconds
  }

  /// A message with its numbers replaced, so `at character 15` and `at character 16` group together; quoted names
  /// are kept, since they tell which object failed.
  public static func shape(_ message: some StringProtocol) -> String {
    var out = ""
    var inNumber = false
    for c in message {
      if c.isASCII && c.isNumber {
        if !inNumber { out += "N" }
        inNumber = true
      } else {
        inNumber = false
        out.append(c)
      }
    }
    return out
  }
}
