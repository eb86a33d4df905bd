// The workload by database, user, application and client host: timed calls, time and slow calls of every
// statement under each name (interned, like the per-query name counts), so that the report can say who spends
// the database's time. Kept by the four names together (one lookup a statement; a workload has few such
// combinations), added up per field when asked. Merges with the names of the other side mapped to this side's.
import Fingerprint
import IntegerTables

public struct NameTimes: Sendable, Codable {
  struct Names: Hashable, Sendable, Codable {
    var database: Int32
    var user: Int32
    var application: Int32
    var host: Int32

    /// One multiply of the four ids for the table, not SipHash: this is looked up once a statement.
    func _rawHashValue(seed: Int) -> Int {
      let low = UInt64(UInt32(bitPattern: database)) | UInt64(UInt32(bitPattern: user)) << 32
      let high = UInt64(UInt32(bitPattern: application)) | UInt64(UInt32(bitPattern: host)) << 32
      return TableHash.bucket(low ^ (high &* 0x9E37_79B9_7F4A_7C15), seed: seed)
    }
  }

  private var byNames: [Names: CallTimes] = [:]

  public init() {}

  mutating func add(database: Int32, user: Int32, application: Int32, host: Int32, _ times: CallTimes) {
    byNames[Names(database: database, user: user, application: application, host: host), default: CallTimes()].add(
      times)
  }

  /// Adds another piece's; `names` maps its name ids to this side's.
  mutating func add(_ other: NameTimes, names: [Int32]) {
    for (key, times) in other.byNames {
      let mapped = Names(
        database: names[Int(key.database)], user: names[Int(key.user)], application: names[Int(key.application)],
        host: names[Int(key.host)])
      byNames[mapped, default: CallTimes()].add(times)
    }
  }

  private func by(_ field: KeyPath<Names, Int32>) -> [Int32: CallTimes] {
    var result: [Int32: CallTimes] = [:]
    for (key, times) in byNames { result[key[keyPath: field], default: CallTimes()].add(times) }
    return result
  }

  public var databases: [Int32: CallTimes] { by(\.database) }
  public var users: [Int32: CallTimes] { by(\.user) }
  public var applications: [Int32: CallTimes] { by(\.application) }
  public var hosts: [Int32: CallTimes] { by(\.host) }

  /// Whether every id names a name of an interner of `count` names (a saved state read back is checked for it).
  func isWellFormed(names count: Int) -> Bool {
    byNames.keys.allSatisfy { key in
      [key.database, key.user, key.application, key.host].allSatisfy { $0 >= 0 && Int($0) < count }
    }
  }
}
