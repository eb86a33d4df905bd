// How the time zone written after a log's timestamps is read. PostgreSQL prints `log_timezone`'s abbreviation
// (`UTC`, `CET`, `CST`) or, for a zone that has none, a numeric offset (`+03`). Some abbreviations stand for
// several zones in today's tz database (CST is US Central, Cuba and China; IST is India, Ireland and Israel;
// PST is the US Pacific and the Philippines): without `--log-timezone` they are read as the most common one and
// the report names the ambiguity; with it, the zone's own abbreviations (read from its tz database file) or
// the fixed offset given decide.
import LogInput

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

public struct LogTimeZone: Sendable, Equatable {
  /// Minutes east of UTC, by abbreviation.
  private var offsets: [String: Int]
  /// An offset every abbreviation is read as (`--log-timezone +08:00`).
  private var fixed: Int?
  /// What the user named, when it was not the standard reading.
  public let name: String?

  /// How one abbreviation reads.
  public struct Reading: Sendable, Equatable {
    public var minutes: Int
    /// The other zones the abbreviation stands for, when it is ambiguous and no zone was given.
    public var alternatives: [String]
  }

  /// Abbreviations of the tz database in use today (2024–2026), with the reading taken when no zone is given.
  static let standardOffsets: [String: Int] = [
    "UTC": 0, "GMT": 0, "UCT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60, "CET": 60, "CEST": 120, "MET": 60,
    "MEST": 120, "WAT": 60, "CAT": 120, "EET": 120, "EEST": 180, "SAST": 120, "EAT": 180, "MSK": 180, "IDT": 180,
    "PKT": 300, "IST": 330, "WIB": 420, "WITA": 480, "WIT": 540, "HKT": 480, "AWST": 480, "JST": 540, "KST": 540,
    "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "ChST": 600, "NZST": 720, "NZDT": 780, "SST": -660,
    "HST": -600, "HDT": -540, "AKST": -540, "AKDT": -480, "PST": -480, "PDT": -420, "MST": -420, "MDT": -360,
    "CST": -360, "CDT": -300, "EST": -300, "EDT": -240, "AST": -240, "ADT": -180, "NST": -210, "NDT": -150,
  ]

  /// The abbreviations that stand for more than one zone today, with the zones read otherwise.
  static let ambiguous: [String: [String]] = [
    "CST": ["Cuba (UTC-05:00)", "China (UTC+08:00)"],
    "CDT": ["Cuba (UTC-04:00)"],
    "PST": ["the Philippines (UTC+08:00)"],
    "IST": ["Ireland (UTC+01:00)", "Israel (UTC+02:00)"],
  ]

  /// What each ambiguous abbreviation is read as when no zone is given.
  static let standardNames: [String: String] = [
    "CST": "US Central (UTC-06:00)", "CDT": "US Central daylight time (UTC-05:00)", "PST": "US Pacific (UTC-08:00)",
    "IST": "India (UTC+05:30)",
  ]

  public static let standard = LogTimeZone(offsets: standardOffsets, fixed: nil, name: nil)

  private init(offsets: [String: Int], fixed: Int?, name: String?) {
    self.offsets = offsets
    self.fixed = fixed
    self.name = name
  }

  public struct UnknownZone: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  /// `name` is an IANA zone (`Asia/Shanghai`, read from the tz database under `zoneinfo`) or an offset
  /// (`+08:00`, `-0530`, `UTC+8`, `UTC`).
  public init(_ name: String, zoneinfo: String = "/usr/share/zoneinfo") throws(UnknownZone) {
    if let minutes = Self.fixedOffset(name) {
      self.init(offsets: Self.standardOffsets, fixed: minutes, name: name)
      return
    }
    guard !name.contains(".."), !name.hasPrefix("/"), let data = Self.contents(of: "\(zoneinfo)/\(name)"),
      let zone = Self.abbreviations(inTZif: data), !zone.isEmpty
    else {
      throw UnknownZone(
        description: "--log-timezone \(name): not a time zone of the tz database (\(zoneinfo)) nor an offset "
          + "such as +08:00")
    }
    // The zone's own abbreviations win; the others keep their standard reading.
    self.init(offsets: Self.standardOffsets.merging(zone) { _, own in own }, fixed: nil, name: name)
  }

  /// `+08:00`, `-0530`, `+8`, `UTC+8`, `UTC-05:30`, `UTC`, `Z` as minutes east of UTC (at most 14 hours, the
  /// minutes under 60); nil for anything else.
  public static func fixedOffset(_ text: String) -> Int? {
    var rest = Substring(text)
    if rest == "UTC" || rest == "Z" || rest == "GMT" { return 0 }
    if rest.hasPrefix("UTC") || rest.hasPrefix("GMT") { rest = rest.dropFirst(3) }
    guard let sign = rest.first, sign == "+" || sign == "-" else { return nil }
    let digits = rest.dropFirst().filter { $0 != ":" }
    guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let value = Int(digits),
      rest.dropFirst().count - digits.count <= 1
    else {
      return nil
    }
    let minutes: Int
    switch digits.count {
    case 1, 2: minutes = value * 60
    case 3, 4:
      guard value % 100 < 60 else { return nil }
      minutes = value / 100 * 60 + value % 100
    default: return nil
    }
    guard minutes <= 14 * 60 else { return nil }
    return sign == "-" ? -minutes : minutes
  }

  /// How an abbreviation (or a numeric offset such as `+0530`) reads; nil when it is none this knows.
  public func reading(_ zone: ByteView) -> Reading? {
    guard let first = zone.first else { return nil }
    if first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
      return LogTimestamp.numericOffset(zone).map { Reading(minutes: $0, alternatives: []) }
    }
    if let fixed { return Reading(minutes: fixed, alternatives: []) }
    let text = zone.string
    guard let minutes = offsets[text] else { return nil }
    return Reading(minutes: minutes, alternatives: name == nil ? Self.ambiguous[text] ?? [] : [])
  }

  /// The notice for an abbreviation read one way of several.
  public static func ambiguityNote(_ zone: String, alternatives: [String]) -> String {
    "time zone \(zone) stands for several zones: read as \(standardNames[zone] ?? zone); it is also "
      + alternatives.joined(separator: " and ")
      + ". Give --log-timezone (the server's log_timezone, e.g. Asia/Shanghai, or an offset such as +08:00) to read "
      + "it otherwise"
  }

  private static func contents(of path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 << 10)
    while result.count < 1 << 20 {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      guard n > 0 else { break }
      result += chunk[..<n]
    }
    return result
  }

  /// The abbreviations a TZif file (RFC 8536) gives its local time types, with their offsets in minutes. The
  /// version 2 block is read when there is one: a "slim" file's version 1 block may be empty.
  static func abbreviations(inTZif data: [UInt8]) -> [String: Int]? {
    func count(_ at: Int) -> Int? {
      guard at + 4 <= data.count else { return nil }
      return Int(data[at]) << 24 | Int(data[at + 1]) << 16 | Int(data[at + 2]) << 8 | Int(data[at + 3])
    }
    func block(at start: Int, timeBytes: Int) -> (types: [String: Int], end: Int)? {
      guard start + 44 <= data.count, data[start..<(start + 4)].elementsEqual("TZif".utf8),
        let utCount = count(start + 20), let stdCount = count(start + 24), let leapCount = count(start + 28),
        let timeCount = count(start + 32), let typeCount = count(start + 36), let charCount = count(start + 40)
      else { return nil }
      var at = start + 44 + timeCount * timeBytes + timeCount
      let typesAt = at
      at += typeCount * 6
      let charsAt = at
      at += charCount + leapCount * (timeBytes + 4) + stdCount + utCount
      guard at <= data.count else { return nil }
      var types: [String: Int] = [:]
      for t in 0..<typeCount {
        let entry = typesAt + t * 6
        guard let raw = count(entry) else { return nil }
        let offset = Int(Int32(truncatingIfNeeded: raw))
        let index = charsAt + Int(data[entry + 5])
        guard index < charsAt + charCount else { continue }
        var end = index
        while end < charsAt + charCount, data[end] != 0 { end += 1 }
        let abbreviation = String(decoding: data[index..<end], as: UTF8.self)
        if let first = abbreviation.first, first.isLetter { types[abbreviation] = offset / 60 }
      }
      return (types, at)
    }
    guard let first = block(at: 0, timeBytes: 4) else { return nil }
    guard data.count > 4, data[4] >= UInt8(ascii: "2"), let second = block(at: first.end, timeBytes: 8) else {
      return first.types
    }
    return first.types.merging(second.types) { _, later in later }
  }
}

/// The first line whose zone could not be read, and the first whose zone was read one way of several, as a
/// parser meets them: the report names each once.
public struct ZoneNotes: Sendable, Equatable {
  /// Its times are read as UTC.
  public private(set) var unknownLine: Int?
  public private(set) var ambiguous: Ambiguity?

  public struct Ambiguity: Sendable, Equatable {
    public var line: Int
    public var zone: String
    public var alternatives: [String]
  }

  public init() {}

  /// Notes what reading a timestamp found; `zone` is its abbreviation's bytes, when it was ambiguous.
  @inline(__always)
  public mutating func note(known: Bool, ambiguous: Bool, zone: () -> ByteView, zones: LogTimeZone, line: Int) {
    if !known && unknownLine == nil { unknownLine = line }
    if ambiguous && self.ambiguous == nil {
      let bytes = zone()
      self.ambiguous = Ambiguity(
        line: line, zone: bytes.string, alternatives: zones.reading(bytes)?.alternatives ?? [])
    }
  }

  public mutating func note(_ parsed: LogTimestamp.Parsed, in bytes: ByteView, zones: LogTimeZone, line: Int) {
    note(
      known: parsed.zoneKnown, ambiguous: parsed.zoneAmbiguous,
      zone: { parsed.zone.map { bytes.slice($0.lowerBound, $0.upperBound) } ?? bytes.slice(0, 0) }, zones: zones,
      line: line)
  }

  /// Keeps the earliest of each, `other` coming after this.
  public mutating func merge(_ other: ZoneNotes) {
    if unknownLine == nil { unknownLine = other.unknownLine }
    if ambiguous == nil { ambiguous = other.ambiguous }
  }
}
