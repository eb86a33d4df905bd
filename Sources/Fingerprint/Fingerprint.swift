// A statement's identity: libpg_query's 64-bit fingerprint, or the lexer's when the parser cannot read it.
import IntegerTables

public struct Fingerprint: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
  public enum Source: String, Sendable, Codable {
    /// `pg_query_fingerprint`: the id the pg_query ecosystem uses.
    case libpgQuery = "libpg_query"
    /// The statement did not parse (newer syntax, truncated text); the id is a hash of its lexer shape.
    case lexer
  }

  public var value: UInt64
  public var source: Source

  public init(value: UInt64, source: Source) {
    self.value = value
    self.source = source
  }

  /// 16 lower-case hex digits, as `pg_query_fingerprint` prints `fingerprint_str`.
  public var hex: String { Self.hex(value) }

  /// Any 64-bit value as 16 lower-case hex digits, as fingerprints are written.
  public static func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }

  public var description: String { hex }

  /// Reads 16 hex digits back.
  public init?(hex: String, source: Source = .libpgQuery) {
    guard hex.count == 16, let value = UInt64(hex, radix: 16) else { return nil }
    self.init(value: value, source: source)
  }

  public static func < (a: Fingerprint, b: Fingerprint) -> Bool { a.value < b.value }

  /// The value and the source's case: a String-valued enum would otherwise hash its raw text, on every lookup
  /// of every dictionary keyed by fingerprint.
  public func hash(into hasher: inout Hasher) {
    hasher.combine(value)
    hasher.combine(source == .libpgQuery)
  }

  /// The value is a 64-bit hash already: dictionaries keyed by fingerprint take their buckets from it.
  public func _rawHashValue(seed: Int) -> Int {
    TableHash.bucket(source == .libpgQuery ? value : ~value, seed: seed)
  }

  enum CodingKeys: String, CodingKey { case value, source }

  /// Reads `{"value": …, "source": …}`, or a bare number (how session steps and bursts of saved runs and --state
  /// files before 0.1.0's typed identity wrote it: libpg_query's, as the application advisor then took it).
  public init(from decoder: any Decoder) throws {
    if let value = try? decoder.singleValueContainer().decode(UInt64.self) {
      self.init(value: value, source: .libpgQuery)
      return
    }
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(value: try c.decode(UInt64.self, forKey: .value), source: try c.decode(Source.self, forKey: .source))
  }
}

/// The first constants of a statement's text, in order: where each starts and a hash of its bytes. Executions
/// of one query whose digests agree at a place had the same constant there: what tells a value sent in every
/// execution (`status = 'pending'` written in the code) from one that varies.
public struct LiteralDigest: Sendable, Hashable, Codable {
  /// Constants kept.
  public static let kept = 4
  /// Constants in the statement, all of them.
  public var count = 0
  /// Byte offsets and hashes of the first `kept`.
  public var starts = SIMD4<Int32>(repeating: -1)
  public var hashes = SIMD4<UInt64>(repeating: 0)

  public init() {}

  /// Which of the kept constants differ between two digests (a bit each); every bit when the counts differ, since
  /// then the places do not line up.
  public func differences(from other: LiteralDigest) -> UInt8 {
    guard count == other.count else { return 0xF }
    var bits: UInt8 = 0
    for i in 0..<min(count, Self.kept) where hashes[i] != other.hashes[i] { bits |= 1 << i }
    return bits
  }

  /// The place of the constant starting at byte `offset`, if it is one of the kept.
  public func place(startingAt offset: Int) -> Int? {
    (0..<min(count, Self.kept)).first { Int(starts[$0]) == offset }
  }
}
