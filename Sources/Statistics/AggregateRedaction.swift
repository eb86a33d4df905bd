// --redact for what is saved (--save-state), not only for the report: every statement text an aggregate keeps
// is replaced by its normalized form, every message by one without values, and what cannot be made free of
// values (examples, parameters, plans, an error's DETAIL) is dropped. The functions come from the caller, which
// knows how reports redact, so that a saved state and a report say the same.

/// How texts are made free of literal values.
public struct TextRedaction: Sendable {
  /// A statement, given back normalized (constants as `$n`).
  public var statement: @Sendable (String) -> String
  /// A message, given back without numbers or quoted values.
  public var message: @Sendable (String) -> String
  /// A deadlock's DETAIL, its statements normalized and its lines redacted as messages.
  public var deadlockDetail: @Sendable (String) -> String

  public init(
    statement: @escaping @Sendable (String) -> String, message: @escaping @Sendable (String) -> String,
    deadlockDetail: @escaping @Sendable (String) -> String
  ) {
    self.statement = statement
    self.message = message
    self.deadlockDetail = deadlockDetail
  }
}

extension StatementAggregator {
  /// The aggregate with no literal value left in it.
  public mutating func redact(_ redaction: TextRedaction) {
    for index in queries.indices { queries[index].redact(redaction) }
    for index in errorGroups.indices { errorGroups[index].redact(redaction) }
    activity.redact(redaction)
  }
}

extension QueryStats {
  mutating func redact(_ redaction: TextRedaction) {
    firstText = redaction.statement(firstText)
    normalized = normalized.isEmpty ? "" : redaction.statement(normalized)
    example = nil
    exampleParameters = nil
    parseError = parseError.map(redaction.message)
    plans.example = nil
    // The advisor's sample keeps the shape of each execution, not its constants.
    redactSamples(redaction.statement)
  }
}

extension ErrorGroup {
  mutating func redact(_ redaction: TextRedaction) {
    message = redaction.message(message)
    example.message = redaction.message(example.message)
    example.detail = nil
    example.hint = example.hint.map(redaction.message)
    example.statement = example.statement.map(redaction.statement)
  }
}

extension ServerActivity {
  mutating func redact(_ redaction: TextRedaction) {
    for key in lockWaits.keys {
      lockWaits[key]!.example = lockWaits[key]!.example.map(redaction.statement)
      lockWaits[key]!.holder = lockWaits[key]!.holder.map(redaction.message)
    }
    for index in deadlocks.indices {
      deadlocks[index].detail = redaction.deadlockDetail(deadlocks[index].detail)
      deadlocks[index].statement = deadlocks[index].statement.map(redaction.statement)
    }
  }
}
