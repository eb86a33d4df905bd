// The workload by database, user, application and client host: timed calls, time and slow calls of every
// statement under each name (interned, like the per-query name counts), so that the report can say who spends
// the database's time. Merges with the names of the other side mapped to this side's.
public struct NameTimes: Sendable, Codable {
  public private(set) var databases: [Int32: CallTimes] = [:]
  public private(set) var users: [Int32: CallTimes] = [:]
  public private(set) var applications: [Int32: CallTimes] = [:]
  public private(set) var hosts: [Int32: CallTimes] = [:]

  public init() {}

  mutating func add(database: Int32, user: Int32, application: Int32, host: Int32, _ times: CallTimes) {
    databases[database, default: CallTimes()].add(times)
    users[user, default: CallTimes()].add(times)
    applications[application, default: CallTimes()].add(times)
    hosts[host, default: CallTimes()].add(times)
  }

  /// Adds another piece's; `names` maps its name ids to this side's.
  mutating func add(_ other: NameTimes, names: [Int32]) {
    for (id, times) in other.databases { databases[names[Int(id)], default: CallTimes()].add(times) }
    for (id, times) in other.users { users[names[Int(id)], default: CallTimes()].add(times) }
    for (id, times) in other.applications { applications[names[Int(id)], default: CallTimes()].add(times) }
    for (id, times) in other.hosts { hosts[names[Int(id)], default: CallTimes()].add(times) }
  }

  /// Whether every id names a name of an interner of `count` names (a saved state read back is checked for it).
  func isWellFormed(names count: Int) -> Bool {
    [databases, users, applications, hosts].allSatisfy { $0.keys.allSatisfy { $0 >= 0 && Int($0) < count } }
  }
}
