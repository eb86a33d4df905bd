// Turns log records into server events. In stderr logs an error's DETAIL, HINT and STATEMENT come as records
// of their own after it, from the same process; the classifier holds each process's last error until its
// STATEMENT arrives or the process logs something else, then sends it whole. Likewise a statement logged by
// log_statement is held until the process's next record: when that is a bare `duration:` (log_duration, or
// log_min_duration_statement after log_statement already printed the text), the two make one timed statement.
import IntegerTables
import LogFormats
import LogInput

/// What each process has pending. Kept apart from the generic classifier so that its dictionary code is
/// compiled for these concrete types once, rather than looked up at run time for every record.
struct SessionState {
  enum PrimaryKind { case statement, message, other }

  typealias HeldStatement = (entry: OwnedEntry, step: StatementStep)

  /// Messages (errors, lock waits, temporary files) waiting for their secondary records, by process id.
  var pendingErrors = IntegerTable<Int32, ServerMessage>()
  /// What each process logged last, so that a secondary record finds what it belongs to.
  var lastPrimary = IntegerTable<Int32, PrimaryKind>()
  /// Statements logged without a duration, waiting to see whether a bare duration follows.
  var pendingUntimed = IntegerTable<Int32, HeldStatement>()

  mutating func takeError(_ pid: Int32) -> ServerMessage? {
    pendingErrors.isEmpty ? nil : pendingErrors.removeValue(forKey: pid)
  }

  mutating func takeUntimed(_ pid: Int32) -> HeldStatement? {
    pendingUntimed.isEmpty ? nil : pendingUntimed.removeValue(forKey: pid)
  }

  mutating func hold(_ error: ServerMessage) {
    pendingErrors[error.pid] = error
    lastPrimary[error.pid] = .message
  }

  mutating func hold(_ statement: HeldStatement) {
    pendingUntimed[statement.entry.pid] = statement
    lastPrimary[statement.entry.pid] = .statement
  }

  mutating func setPrimary(_ pid: Int32, _ kind: PrimaryKind) { lastPrimary[pid] = kind }

  /// Keeps `DETAIL: parameters` with the held statement it belongs to; false when none is held.
  mutating func attachParameters(_ entry: LogEntry) -> Bool {
    guard var held = pendingUntimed[entry.pid] else { return false }
    held.entry = held.entry.withEntry { OwnedEntry($0, message: $0.message, parameters: entry.message) }
    pendingUntimed[entry.pid] = held
    return true
  }

  /// Takes over what `other` has pending for `pid`, dropping what this state had.
  mutating func replace(_ pid: Int32, from other: SessionState) {
    pendingErrors[pid] = other.pendingErrors[pid]
    pendingUntimed[pid] = other.pendingUntimed[pid]
    lastPrimary[pid] = other.lastPrimary[pid]
  }

  func primary(_ pid: Int32) -> PrimaryKind? { lastPrimary[pid] }

  /// Adds a secondary record to the process's pending error; returns the error when it is complete.
  mutating func attach(_ entry: LogEntry) -> ServerMessage? {
    guard var pending = pendingErrors[entry.pid] else { return nil }
    let text = entry.message.string
    switch entry.severity {
    case .detail: pending.detail = text
    case .hint: pending.hint = text
    case .statement: pending.statement = text
    default: break
    }
    guard entry.severity == .statement else {
      pendingErrors[entry.pid] = pending
      return nil
    }
    // STATEMENT is the last record PostgreSQL writes for an error.
    pendingErrors[entry.pid] = nil
    lastPrimary[entry.pid] = .other
    return pending
  }

  /// Everything still held, oldest first, and the state emptied.
  mutating func drain() -> (statements: [HeldStatement], errors: [ServerMessage]) {
    let statements = pendingUntimed.values.sorted { $0.entry.lineNumber < $1.entry.lineNumber }
    let errors = pendingErrors.values.sorted { $0.lineNumber < $1.lineNumber }
    pendingUntimed.removeAll()
    pendingErrors.removeAll()
    lastPrimary.removeAll()
    return (statements, errors)
  }
}

public struct EventClassifier<Downstream: ServerEventSink>: LogEntrySink {
  public var downstream: Downstream
  private var sessions = SessionState()

  public private(set) var secondaryRecords = 0
  /// Secondary records with nothing before them to attach to (e.g. the log starts mid-message).
  public private(set) var orphanSecondaryRecords = 0

  /// Reading a piece that starts inside a file: a process's records before its first primary record here
  /// (secondary records, a bare duration) depend on what came before, so they are kept for `append`.
  private let midStream: Bool
  /// The processes whose records this piece reads from a primary record on.
  private var started = IntegerSet<Int32>()
  private var deferred: [OwnedEntry] = []

  public init(downstream: Downstream, midStream: Bool = false) {
    self.downstream = downstream
    self.midStream = midStream
  }

  public mutating func consume(_ entry: LogEntry) {
    // PgBouncer's lines are its own events, one line each.
    if entry.source == .pgbouncer {
      downstream.activity(ActivityEvent.read(entry), from: EventOrigin(entry))
      return
    }
    let pid = entry.pid
    if midStream && !started.contains(pid) {
      if !entry.severity.isPrimary
        || (entry.severity == .log && StatementMessage.parse(entry.message)?.isBareDuration == true)
      {
        deferred.append(OwnedEntry(entry, message: entry.message, whole: true))
        return
      }
      started.insert(pid)
    }
    if !entry.severity.isPrimary {
      attachSecondary(entry)
      return
    }
    if let pending = sessions.takeError(pid) { send(pending) }
    if let pending = sessions.takeUntimed(pid) {
      if entry.severity == .log, let message = StatementMessage.parse(entry.message), message.isBareDuration {
        sessions.setPrimary(pid, .statement)
        pending.entry.withEntry { held in
          downstream.statement(
            StatementEvent(
              durationUs: message.durationUs, step: pending.step, text: held.message, parameters: held.detail,
              entry: held))
        }
        return
      }
      sendUntimed(pending)
    }
    if entry.severity.isError {
      // csvlog and jsonlog carry the statement in the record; stderr may still send it.
      sessions.hold(ServerMessage(entry: entry))
      return
    }
    if entry.severity == .log && ServerMessage.takesSecondaryRecords(entry.message) {
      sessions.hold(ServerMessage(entry: entry))
      return
    }
    if entry.severity == .log, let message = StatementMessage.parse(entry.message) {
      if message.isBareDuration {
        sessions.setPrimary(pid, .other)
        downstream.activity(.bareDuration, from: EventOrigin(entry))
        return
      }
      if message.durationUs == nil && entry.detail == nil {
        // Hold it: a bare duration may follow. (csvlog/jsonlog records carry no later DETAIL either way.)
        sessions.hold((OwnedEntry(entry, message: message.text), message.step))
        return
      }
      var parameters: ByteView?
      if let detail = entry.detail, detail.matches("parameters: ", at: 0) { parameters = detail }
      sessions.setPrimary(pid, .statement)
      downstream.statement(
        StatementEvent(
          durationUs: message.durationUs, step: message.step, text: message.text, parameters: parameters,
          entry: entry))
      return
    }
    sessions.setPrimary(pid, .other)
    downstream.activity(ActivityEvent.read(entry), from: EventOrigin(entry))
  }

  private mutating func attachSecondary(_ entry: LogEntry) {
    secondaryRecords += 1
    switch sessions.primary(entry.pid) {
    case .message?:
      if let complete = sessions.attach(entry) { send(complete) }
    case .statement?:
      if entry.severity == .detail && entry.message.matches("parameters: ", at: 0)
        && !sessions.attachParameters(entry)
      {
        downstream.parameters(entry.message, pid: entry.pid)
      }
    case .other?:
      break
    case nil:
      orphanSecondaryRecords += 1
    }
  }

  private mutating func send(_ message: ServerMessage) {
    if message.severity.isError { downstream.error(message) } else { downstream.message(message) }
  }

  private mutating func sendUntimed(_ pending: SessionState.HeldStatement) {
    pending.entry.withEntry { held in
      downstream.statement(
        StatementEvent(durationUs: nil, step: pending.step, text: held.message, parameters: held.detail, entry: held))
    }
  }

  /// Continues this classifier, which has read everything before `next`, with `next`, which read the piece
  /// right after it in mid-stream mode. The records `next` kept back are read here, where what came before
  /// them is known; what this side still holds for a process `next` saw start is sent on, as the record that
  /// started it would have done; then `merge` adds `next`'s downstream to this one, given those processes.
  public mutating func append(
    _ next: EventClassifier, merge: (inout Downstream, Downstream, Set<Int32>) -> Void
  ) {
    for entry in next.deferred { entry.withEntry { consume($0) } }
    for pid in next.started {
      if let pending = sessions.takeError(pid) { send(pending) }
      if let pending = sessions.takeUntimed(pid) { sendUntimed(pending) }
    }
    merge(&downstream, next.downstream, next.started.set)
    for pid in next.started { sessions.replace(pid, from: next.sessions) }
    if midStream { started.formUnion(next.started) }
    secondaryRecords += next.secondaryRecords
    orphanSecondaryRecords += next.orphanSecondaryRecords
  }

  /// Sends what is still pending at the end of the input.
  public mutating func finish() {
    let (statements, errors) = sessions.drain()
    for statement in statements { sendUntimed(statement) }
    for error in errors { send(error) }
  }
}
