// Problems found while reading input, gathered in one place so that the library never prints:
// the executable decides what to show and which exit status the run gets.

/// Where in the input a problem was found.
public struct InputLocation: Sendable, Hashable, Codable, CustomStringConvertible {
  public var file: String
  /// 1-based line number in the decoded text, when known.
  public var line: Int?
  /// Byte offset in the file as stored (compressed offset for gzip), when more useful than a line.
  public var byteOffset: Int?

  public init(file: String, line: Int? = nil, byteOffset: Int? = nil) {
    self.file = file
    self.line = line
    self.byteOffset = byteOffset
  }

  public var description: String {
    var text = file
    if let line { text += ":\(line)" }
    if let byteOffset { text += " (byte \(byteOffset))" }
    return text
  }
}

/// The kinds of problems a run can meet; each is counted separately in the report.
public enum DiagnosticKind: String, Sendable, CaseIterable, Codable {
  /// A file that could not be opened or read.
  case unreadableFile = "unreadable_file"
  /// A gzip stream that is corrupt or ends early.
  case corruptCompression = "corrupt_compression"
  /// A line that fits no known log format and belongs to no entry; it is skipped.
  case unrecognizedLine = "unrecognized_line"
  /// A line that is not valid UTF-8; it is kept, with invalid bytes replaced, but the run reports it.
  case invalidUTF8 = "invalid_utf8"
  /// NUL bytes: a run before a line (dropped; a line of nothing else is skipped) or inside one (kept).
  case nulBytes = "nul_bytes"
  /// A record that starts like the format but is malformed (bad CSV quoting, bad JSON); it is skipped.
  case malformedRecord = "malformed_record"
  /// The database given with --dsn could not be used (the advice stays heuristic).
  case database
  /// The --state file could not be written (the next run will read the same lines again).
  case stateFile = "state_file"
  /// The server wrote its messages in another language (lc_messages): statements and events go uncounted.
  case localizedMessages = "localized_messages"
  /// The run read no log record at all (every input empty, or none a log): nothing was analyzed, and a report
  /// of nothing must not pass for a quiet day.
  case nothingCounted = "nothing_counted"
  /// Anything else worth telling the user that does not lose data.
  case notice

  /// Whether this kind is a problem with the input (exit status 2), rather than a note about it.
  public var isInputProblem: Bool {
    switch self {
    case .unreadableFile, .corruptCompression, .unrecognizedLine, .malformedRecord, .invalidUTF8, .nulBytes, .database,
      .stateFile, .localizedMessages, .nothingCounted:
      return true
    case .notice: return false
    }
  }
}

public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
  public var kind: DiagnosticKind
  public var location: InputLocation
  public var message: String

  public init(kind: DiagnosticKind, location: InputLocation, message: String) {
    self.kind = kind
    self.location = location
    self.message = message
  }

  public var description: String { "\(location): \(message)" }
}

/// Collects diagnostics. Every problem is counted; only the first few of each kind keep their message,
/// so a log with a million bad lines does not hold a million messages.
public struct Diagnostics: Sendable, Codable {
  public static let messagesKeptPerKind = 20

  public private(set) var counts: [DiagnosticKind: Int] = [:]
  public private(set) var kept: [Diagnostic] = []

  public init() {}

  public mutating func report(_ diagnostic: Diagnostic) {
    let seen = counts[diagnostic.kind, default: 0]
    counts[diagnostic.kind] = seen + 1
    if seen < Self.messagesKeptPerKind {
      kept.append(diagnostic)
    }
  }

  public mutating func report(_ kind: DiagnosticKind, at location: InputLocation, _ message: String) {
    report(Diagnostic(kind: kind, location: location, message: message))
  }

  public func count(_ kind: DiagnosticKind) -> Int { counts[kind, default: 0] }

  /// Rewrites every kept message (--redact: a message may quote what a line held).
  public mutating func redactMessages(_ rewrite: (String) -> String) {
    for index in kept.indices { kept[index].message = rewrite(kept[index].message) }
  }

  /// Whether the input had problems, which makes the run's exit status 2.
  public var hasInputProblems: Bool { counts.contains { $0.key.isInputProblem && $0.value > 0 } }

  /// Adds the diagnostics of what was read after this: keeps the messages one collection of both would.
  public mutating func merge(_ other: Diagnostics) {
    var seenOfKind: [DiagnosticKind: Int] = [:]
    for diagnostic in other.kept {
      let earlier = seenOfKind[diagnostic.kind, default: 0]
      seenOfKind[diagnostic.kind] = earlier + 1
      if count(diagnostic.kind) + earlier < Self.messagesKeptPerKind { kept.append(diagnostic) }
    }
    for (kind, count) in other.counts { counts[kind, default: 0] += count }
  }
}
