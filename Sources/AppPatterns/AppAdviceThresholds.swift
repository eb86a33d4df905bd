// What makes an application pattern worth reporting.

/// The limits that make a finding worth reporting; the CLI's flags set them.
public struct AppAdviceThresholds: Sendable, Equatable {
  /// N+1: lookups with different keys in one burst, at least ...
  public var nPlusOne = 10
  /// ... after the same parent query, this many times.
  public var nPlusOneBursts = 2
  /// Row-by-row writes: single-row writes of one query in one burst, at least.
  public var rowByRow = 20
  /// Wide reads: columns in the select list, at least (or `*`) ...
  public var wideColumns = 12
  /// ... on queries run this often.
  public var wideMinCalls = 100
  /// Deep pagination: an OFFSET this large.
  public var deepOffset = 1_000
  /// Connection churn: this many new connections per second over the log, at least ...
  public var churnPerSecond = 1.0
  /// ... with at least this share of sessions under one second.
  public var churnShortShare = 0.5

  public init() {}
}
