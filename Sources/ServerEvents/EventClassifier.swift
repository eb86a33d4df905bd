// Turns log records into server events. In stderr logs an error's DETAIL, HINT and STATEMENT come as records
// of their own after it, from the same process; the classifier holds each process's last error until its
// STATEMENT arrives or the process logs something else, then sends it whole. Likewise a statement logged by
// log_statement is held until the process's next record: when that is a bare `duration:` (log_duration, or
// log_min_duration_statement after log_statement already printed the text), the two make one timed statement.
import LogFormats

public struct EventClassifier<Downstream: ServerEventSink>: LogEntrySink {
  public var downstream: Downstream
  /// Errors waiting for their secondary records, by process id.
  private var pendingErrors: [Int32: ErrorEvent] = [:]
  /// What each process logged last, so that a secondary record finds what it belongs to.
  private var lastPrimary: [Int32: PrimaryKind] = [:]
  /// Statements logged without a duration, waiting to see whether a bare duration follows.
  private var pendingUntimed: [Int32: (entry: OwnedEntry, step: StatementStep)] = [:]

  enum PrimaryKind { case statement, error, other }

  public private(set) var secondaryRecords = 0
  /// Secondary records with nothing before them to attach to (e.g. the log starts mid-message).
  public private(set) var orphanSecondaryRecords = 0

  public init(downstream: Downstream) {
    self.downstream = downstream
  }

  public mutating func consume(_ entry: LogEntry) {
    if !entry.severity.isPrimary {
      attachSecondary(entry)
      return
    }
    if let pending = pendingErrors.removeValue(forKey: entry.pid) {
      downstream.error(pending)
    }
    if !pendingUntimed.isEmpty, let pending = pendingUntimed.removeValue(forKey: entry.pid) {
      if entry.severity == .log, let message = StatementMessage.parse(entry.message), message.isBareDuration {
        lastPrimary[entry.pid] = .statement
        pending.entry.withEntry { held in
          downstream.statement(
            StatementEvent(
              durationUs: message.durationUs, step: pending.step, text: held.message, parameters: nil, entry: held))
        }
        return
      }
      sendUntimed(pending)
    }
    if entry.severity.isError {
      let event = ErrorEvent(entry: entry)
      // csvlog and jsonlog carry the statement in the record; stderr may still send it.
      pendingErrors[entry.pid] = event
      lastPrimary[entry.pid] = .error
      return
    }
    if entry.severity == .log, let message = StatementMessage.parse(entry.message) {
      if message.isBareDuration {
        lastPrimary[entry.pid] = .other
        downstream.other(entry)
        return
      }
      if message.durationUs == nil && entry.detail == nil {
        // Hold it: a bare duration may follow. (csvlog/jsonlog records carry no later DETAIL either way.)
        pendingUntimed[entry.pid] = (OwnedEntry(entry, message: message.text), message.step)
        lastPrimary[entry.pid] = .statement
        return
      }
      var parameters: ByteView?
      if let detail = entry.detail, detail.matches("parameters: ", at: 0) { parameters = detail }
      lastPrimary[entry.pid] = .statement
      downstream.statement(
        StatementEvent(
          durationUs: message.durationUs, step: message.step, text: message.text, parameters: parameters,
          entry: entry))
      return
    }
    lastPrimary[entry.pid] = .other
    downstream.other(entry)
  }

  private mutating func attachSecondary(_ entry: LogEntry) {
    secondaryRecords += 1
    switch lastPrimary[entry.pid] {
    case .error?:
      guard var pending = pendingErrors[entry.pid] else { return }
      let text = entry.message.string
      switch entry.severity {
      case .detail: pending.detail = text
      case .hint: pending.hint = text
      case .statement: pending.statement = text
      default: break
      }
      if entry.severity == .statement {
        // STATEMENT is the last record PostgreSQL writes for an error.
        pendingErrors[entry.pid] = nil
        lastPrimary[entry.pid] = .other
        downstream.error(pending)
      } else {
        pendingErrors[entry.pid] = pending
      }
    case .statement?:
      if entry.severity == .detail && entry.message.matches("parameters: ", at: 0) {
        downstream.parameters(entry.message, pid: entry.pid)
      }
    case .other?:
      break
    case nil:
      orphanSecondaryRecords += 1
    }
  }

  private mutating func sendUntimed(_ pending: (entry: OwnedEntry, step: StatementStep)) {
    pending.entry.withEntry { held in
      downstream.statement(
        StatementEvent(durationUs: nil, step: pending.step, text: held.message, parameters: nil, entry: held))
    }
  }

  /// Sends what is still pending at the end of the input.
  public mutating func finish() {
    for (_, pending) in pendingUntimed.sorted(by: { $0.value.entry.lineNumber < $1.value.entry.lineNumber }) {
      sendUntimed(pending)
    }
    pendingUntimed.removeAll()
    for (_, event) in pendingErrors.sorted(by: { $0.value.lineNumber < $1.value.lineNumber }) {
      downstream.error(event)
    }
    pendingErrors.removeAll()
    lastPrimary.removeAll()
  }
}
