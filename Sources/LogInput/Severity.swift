// How a log record is marked, as every stage after reading carries it.

/// The severity or kind of a log record as PostgreSQL prints it (`LOG:`, `ERROR:`, `DETAIL:` ...).
public enum Severity: UInt8, Sendable, CaseIterable, Codable {
  case debug, info, notice, warning, log, error, fatal, panic
  /// Secondary records: in stderr logs they follow their primary record on separate lines.
  case detail, hint, context, statement, query, location

  /// Whether this record starts a new message rather than adding to the previous one.
  public var isPrimary: Bool { rawValue <= Severity.panic.rawValue }

  /// Whether this is an error the server reports to the client (and may log with its STATEMENT).
  public var isError: Bool { self == .error || self == .fatal || self == .panic }

  public var name: String {
    switch self {
    case .debug: "DEBUG"
    case .info: "INFO"
    case .notice: "NOTICE"
    case .warning: "WARNING"
    case .log: "LOG"
    case .error: "ERROR"
    case .fatal: "FATAL"
    case .panic: "PANIC"
    case .detail: "DETAIL"
    case .hint: "HINT"
    case .context: "CONTEXT"
    case .statement: "STATEMENT"
    case .query: "QUERY"
    case .location: "LOCATION"
    }
  }
}
