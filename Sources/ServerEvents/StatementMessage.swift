// Reads the messages PostgreSQL writes for statements:
//   duration: 1.234 ms  statement: SELECT ...            (log_min_duration_statement, simple protocol)
//   duration: 1.234 ms  execute P_1: SELECT ...          (extended protocol; also `execute <unnamed>`,
//   duration: 1.234 ms  parse P_1: / bind P_1/C_1: ...     `execute fetch from S_1/C_2`)
//   statement: SELECT ... / execute P_1: SELECT ...      (log_statement, no duration)
//   duration: 1.234 ms                                   (log_duration alone)
import LogFormats
import LogInput

/// Which protocol step a statement message reports.
public enum StatementStep: UInt8, Sendable {
  /// A simple-protocol statement (`statement:`).
  case simple
  /// An extended-protocol execution (`execute NAME:`), the step that runs the query.
  case execute
  /// Extended-protocol parse and bind steps: their time belongs to the execution they prepare.
  case parse, bind
}

public struct StatementMessage {
  public var durationUs: Int64?
  public var step: StatementStep
  /// Prepared statement (and portal) name for extended-protocol steps.
  public var name: ByteView
  public var text: ByteView

  /// Parses a LOG message; nil when it is not about a statement.
  public static func parse(_ message: ByteView) -> StatementMessage? {
    var position = 0
    var durationUs: Int64?
    if message.matches("duration: ", at: 0) {
      guard let (thousandths, end) = message.parseThousandths(at: 10), message.matches(" ms", at: end) else {
        return nil
      }
      durationUs = thousandths
      position = end + 3
      // Two spaces separate the duration from what follows; nothing follows with log_duration alone.
      if position == message.count {
        return StatementMessage(durationUs: durationUs, step: .simple, name: empty, text: empty)
      }
      guard message.matches("  ", at: position) else { return nil }
      position += 2
    }
    let step: StatementStep
    var nameStart = position
    if message.matches("statement: ", at: position) {
      let textStart = position + 11
      return StatementMessage(
        durationUs: durationUs, step: .simple, name: empty, text: message.slice(from: textStart))
    } else if message.matches("execute fetch from ", at: position) {
      step = .execute
      nameStart = position + 19
    } else if message.matches("execute ", at: position) {
      step = .execute
      nameStart = position + 8
    } else if message.matches("parse ", at: position) {
      step = .parse
      nameStart = position + 6
    } else if message.matches("bind ", at: position) {
      step = .bind
      nameStart = position + 5
    } else {
      return nil
    }
    guard let colon = message.firstIndex(of: ": ", from: nameStart) else { return nil }
    return StatementMessage(
      durationUs: durationUs, step: step, name: message.slice(nameStart, colon), text: message.slice(from: colon + 2))
  }

  static var empty: ByteView { ByteView(start: nil, count: 0) }

  /// Whether this is a bare `duration:` line (log_duration without the statement).
  public var isBareDuration: Bool { durationUs != nil && text.isEmpty && name.isEmpty }
}
