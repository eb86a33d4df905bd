// The time zone a report shows its times in (`--timezone`): UTC unless asked, an IANA zone of the tz database
// (its offset taken at each instant, so a report across a daylight-saving change shows both), or a fixed
// offset. Times keep their offset in the report (`2026-11-25T05:03:57.109+01:00`), so a JSON report read by
// another tool means the same instants whatever zone it was shown in.
import Foundation
import LogFormats
import LogInput

public struct DisplayZone: Sendable, Equatable {
  private enum Kind: Sendable, Equatable {
    case utc
    case fixed(minutes: Int)
    case zone(TimeZone)
  }

  private let kind: Kind
  /// What the user named (`Europe/Paris`, `+05:30`), or `UTC`.
  public let name: String

  public static let utc = DisplayZone(kind: .utc, name: "UTC")

  private init(kind: Kind, name: String) {
    self.kind = kind
    self.name = name
  }

  public struct UnknownZone: Error, CustomStringConvertible {
    public var description: String
  }

  /// `UTC`, an IANA zone (`Europe/Paris`, `America/New_York`) or an offset (`+05:30`, `-03`, `+0800`, `UTC+8`,
  /// read as --log-timezone reads one).
  public init(_ name: String) throws(UnknownZone) {
    if name == "UTC" || name == "Z" {
      self = .utc
    } else if let minutes = LogTimeZone.fixedOffset(name) {
      self.init(kind: minutes == 0 ? .utc : .fixed(minutes: minutes), name: name)
    } else if name.contains("/") || name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }),
      let zone = TimeZone(identifier: name)
    {
      self.init(kind: .zone(zone), name: name)
    } else {
      throw UnknownZone(
        description: "--timezone \(name): not a time zone of the tz database (such as Europe/Paris) nor an offset "
          + "(such as +05:30)")
    }
  }

  /// Minutes east of UTC at `time`.
  public func offsetMinutes(at time: LogTime) -> Int {
    switch kind {
    case .utc: return 0
    case .fixed(let minutes): return minutes
    case .zone(let zone):
      return zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(time.epochMs) / 1000)) / 60
    }
  }

  /// ISO 8601 with milliseconds: `…Z` in UTC, `…+01:00` elsewhere.
  public func stamp(_ time: LogTime) -> String {
    if kind == .utc { return time.iso8601 }
    let minutes = offsetMinutes(at: time)
    var text = LogTime(epochMs: time.epochMs + Int64(minutes) * 60_000).iso8601
    text.removeLast()
    let magnitude = abs(minutes)
    let hours = magnitude / 60 < 10 ? "0\(magnitude / 60)" : "\(magnitude / 60)"
    let rest = magnitude % 60 < 10 ? "0\(magnitude % 60)" : "\(magnitude % 60)"
    return text + (minutes < 0 ? "-" : "+") + hours + ":" + rest
  }
}
