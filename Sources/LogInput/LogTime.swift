// The time of a log record, as every stage after reading carries it.

/// A point in time as milliseconds since 1970-01-01 UTC.
public struct LogTime: Sendable, Hashable, Comparable, Codable {
  public var epochMs: Int64
  public init(epochMs: Int64) { self.epochMs = epochMs }
  public static func < (a: LogTime, b: LogTime) -> Bool { a.epochMs < b.epochMs }

  /// The UTC calendar date and time of day.
  public var civil: (year: Int, month: Int, day: Int, secondOfDay: Int, ms: Int) {
    let totalSeconds = epochMs >= 0 ? epochMs / 1000 : (epochMs - 999) / 1000
    let ms = Int(epochMs - totalSeconds * 1000)
    var days = totalSeconds >= 0 ? totalSeconds / 86400 : (totalSeconds - 86399) / 86400
    let secondOfDay = Int(totalSeconds - days * 86400)
    // Civil-from-days (Howard Hinnant's algorithm).
    days += 719_468
    let era = (days >= 0 ? days : days - 146_096) / 146_097
    let doe = days - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    var year = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    if month <= 2 { year += 1 }
    return (Int(year), Int(month), Int(day), secondOfDay, ms)
  }

  /// ISO 8601 in UTC with milliseconds, e.g. `2026-11-25T04:03:57.109Z`.
  public var iso8601: String {
    let (year, month, day, secondOfDay, ms) = civil
    func pad(_ v: Int, _ width: Int) -> String {
      let s = String(v)
      return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    return
      "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
      + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(ms, 3))Z"
  }
}
