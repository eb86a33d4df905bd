// The time of a log record, as every stage after reading carries it.

/// A point in time as milliseconds since 1970-01-01 UTC.
public struct LogTime: Sendable, Hashable, Comparable, Codable {
  public var epochMs: Int64
  public init(epochMs: Int64) { self.epochMs = epochMs }
  public static func < (a: LogTime, b: LogTime) -> Bool { a.epochMs < b.epochMs }

  /// Days from 1970-01-01 to the given civil date (Howard Hinnant's algorithm).
  @inlinable
  public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = month > 2 ? month - 3 : month + 9
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  /// Reads what a report writes: `2026-11-25T04:03:57.109Z` or `…+05:30`; the instant and the offset it was
  /// shown at (minutes east of UTC). Nil for anything else.
  public static func reportStamp(_ text: String) -> (time: LogTime, offsetMinutes: Int)? {
    let b = Array(text.utf8)
    guard b.count == 24 || b.count == 29 else { return nil }
    func number(_ range: Range<Int>) -> Int? {
      var value = 0
      for i in range {
        guard (48...57).contains(b[i]) else { return nil }
        value = value * 10 + Int(b[i] - 48)
      }
      return value
    }
    guard b[4] == 45, b[7] == 45, b[10] == 84, b[13] == 58, b[16] == 58, b[19] == 46,
      let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
      let minute = number(14..<16), let second = number(17..<19), let ms = number(20..<23)
    else { return nil }
    var offset = 0
    if b.count == 29 {
      guard b[23] == 43 || b[23] == 45, b[26] == 58, let h = number(24..<26), let m = number(27..<29) else {
        return nil
      }
      offset = (h * 60 + m) * (b[23] == 45 ? -1 : 1)
    } else {
      guard b[23] == 90 else { return nil }
    }
    let local =
      (Int64(daysFromCivil(year: year, month: month, day: day)) * 86_400 + Int64(hour * 3600 + minute * 60 + second))
      * 1000 + Int64(ms)
    return (LogTime(epochMs: local - Int64(offset) * 60_000), offset)
  }

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
