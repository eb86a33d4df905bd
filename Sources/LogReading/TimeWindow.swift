// --since, --until, --last: keeps the records whose own timestamps fall in the window.
import LogFormats
import LogInput

public struct TimeWindow: Sendable, Equatable {
  public var since: LogTime?
  public var until: LogTime?

  public init(since: LogTime? = nil, until: LogTime? = nil) {
    self.since = since
    self.until = until
  }

  public var isUnbounded: Bool { since == nil && until == nil }

  /// `since` is inclusive, `until` exclusive; a record without a time is kept.
  @inline(__always)
  public func contains(_ time: LogTime?) -> Bool {
    guard let time else { return true }
    if let since, time < since { return false }
    if let until, time >= until { return false }
    return true
  }
}
