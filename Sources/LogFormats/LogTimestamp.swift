// Parses PostgreSQL's timestamps (`%t`, `%m`, `%n`, csvlog, jsonlog) into milliseconds since the epoch.
import LogInput

public enum LogTimestamp {
  /// Result of parsing a timestamp: the time, where it ended, and whether its zone was understood.
  public struct Parsed {
    public var time: LogTime
    public var end: Int
    public var zoneKnown: Bool
    /// The zone is an abbreviation that stands for several zones; `zone` is where it is.
    public var zoneAmbiguous = false
    public var zone: Range<Int>?
  }

  /// The minute the last timestamp a parser read began with (`YYYY-MM-DD HH:MM`, as two words) and its time:
  /// the lines of a log share their minute with the line before almost always, and then only the seconds
  /// are read (callgrind: 0.7 instructions fewer a byte of the varied log, 1.2%). Set only from a minute read
  /// whole and found valid, so that it never stands for bytes it was not read from.
  public struct Memo {
    var head: (UInt64, UInt64) = (0, 0)
    var minuteMs: Int64 = 0
    var valid = false

    public init() {}

    init(head: (UInt64, UInt64), minuteMs: Int64) {
      (self.head, self.minuteMs, valid) = (head, minuteMs, true)
    }
  }

  /// Parses `YYYY-MM-DD HH:MM:SS[.fff][ ZONE]` at `offset` (the zone may be an abbreviation or `+HH[:MM]`),
  /// reading the zone with `zones`. Unknown abbreviations are read as UTC and flagged, so the caller can warn
  /// once; so are ambiguous ones, read as `zones` says. With `memo`, a line in the minute of the one before
  /// it reads only its seconds.
  public static func parse(
    _ bytes: ByteView, at offset: Int, withZone: Bool = true, zones: LogTimeZone = .standard,
    memo: UnsafeMutablePointer<Memo>? = nil
  ) -> Parsed? {
    let o = offset
    guard o + 19 <= bytes.count else { return nil }
    @inline(__always) func digit(_ i: Int) -> Int? {
      let d = bytes[o + i] &- 0x30
      return d < 10 ? Int(d) : nil
    }
    guard bytes[o + 16] == UInt8(ascii: ":"), let s0 = digit(17), let s1 = digit(18) else { return nil }
    var ms: Int64
    let start = UnsafeRawPointer(bytes.baseAddress! + o)
    let head = (start.loadUnaligned(as: UInt64.self), start.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    if let memo, memo.pointee.valid, memo.pointee.head == head {
      ms = memo.pointee.minuteMs
    } else {
      guard let y0 = digit(0), let y1 = digit(1), let y2 = digit(2), let y3 = digit(3),
        bytes[o + 4] == UInt8(ascii: "-"), let mo0 = digit(5), let mo1 = digit(6),
        bytes[o + 7] == UInt8(ascii: "-"), let d0 = digit(8), let d1 = digit(9),
        bytes[o + 10] == UInt8(ascii: " ") || bytes[o + 10] == UInt8(ascii: "T"),
        let h0 = digit(11), let h1 = digit(12), bytes[o + 13] == UInt8(ascii: ":"),
        let mi0 = digit(14), let mi1 = digit(15)
      else { return nil }
      let year = y0 * 1000 + y1 * 100 + y2 * 10 + y3
      let month = mo0 * 10 + mo1
      let day = d0 * 10 + d1
      guard (1...12).contains(month), (1...31).contains(day) else { return nil }
      let days = LogTime.daysFromCivil(year: year, month: month, day: day)
      ms = Int64(days) * 86_400_000 + Int64((h0 * 10 + h1) * 3_600_000 + (mi0 * 10 + mi1) * 60_000)
      memo?.pointee = Memo(head: head, minuteMs: ms)
    }
    ms += Int64((s0 * 10 + s1) * 1000)
    var i = o + 19
    if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
      i += 1
      var scale = 100
      var fraction = 0
      while i < bytes.count, bytes[i] &- 0x30 < 10 {
        fraction += Int(bytes[i] &- 0x30) * scale
        scale /= 10
        i += 1
      }
      ms += Int64(fraction)
    }
    var zoneKnown = true
    var zoneAmbiguous = false
    var zoneRange: Range<Int>?
    if withZone && i + 1 < bytes.count && bytes[i] == UInt8(ascii: " ") {
      let zoneStart = i + 1
      var j = zoneStart
      // A zone is an abbreviation of letters (`UTC`, `CEST`) or a numeric offset (`+0530`, `-03`, `+05:30`).
      if bytes[j] == UInt8(ascii: "+") || bytes[j] == UInt8(ascii: "-") {
        j += 1
        while j < bytes.count, bytes[j] &- 0x30 < 10 || bytes[j] == UInt8(ascii: ":") { j += 1 }
      } else {
        while j < bytes.count, bytes[j] &- 0x41 < 26 || bytes[j] &- 0x61 < 26 { j += 1 }
      }
      if j > zoneStart {
        let zone = bytes.slice(zoneStart, j)
        zoneRange = zoneStart..<j
        // UTC needs no lookup, whatever was given, unless every zone is to be read as one offset.
        if zone.count == 3 && (zone.matches("UTC", at: 0) || zone.matches("GMT", at: 0)) && zones.name == nil {
        } else if let reading = zones.reading(zone) {
          ms -= Int64(reading.minutes) * 60_000
          zoneAmbiguous = !reading.alternatives.isEmpty
        } else {
          zoneKnown = false
        }
        i = j
      }
    }
    return Parsed(
      time: LogTime(epochMs: ms), end: i, zoneKnown: zoneKnown, zoneAmbiguous: zoneAmbiguous, zone: zoneRange)
  }

  /// Offset of a zone written as `+HH`, `-HH:MM`, `+HHMM`; nil when it is none of them.
  static func numericOffset(_ zone: ByteView) -> Int? {
    guard let first = zone.first else { return nil }
    if first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
      let sign = first == UInt8(ascii: "-") ? -1 : 1
      var digits: [Int] = []
      for b in zone.dropFirst() where b &- 0x30 < 10 { digits.append(Int(b &- 0x30)) }
      switch digits.count {
      case 1: return sign * digits[0] * 60
      case 2: return sign * (digits[0] * 10 + digits[1]) * 60
      case 4: return sign * ((digits[0] * 10 + digits[1]) * 60 + digits[2] * 10 + digits[3])
      default: return nil
      }
    }
    return nil
  }

  /// Parses `%n` (seconds since the epoch with milliseconds, e.g. `1764043437.109`).
  public static func parseEpoch(_ bytes: ByteView, at offset: Int) -> (time: LogTime, end: Int)? {
    guard let (thousandths, end) = bytes.parseThousandths(at: offset), end - offset >= 9 else { return nil }
    return (LogTime(epochMs: thousandths), end)
  }
}
