// --database, --user, --application, --host and their --exclude- forms: records are kept or left out by who
// sent them, while reading, before anything is counted. A record that does not carry the field (a checkpoint,
// a background process, a log whose prefix has no %d) is kept: the filter cannot say it is someone else's.
import LogFormats
import LogInput

public struct RecordFilter: Sendable, Equatable {
  /// Names to keep (empty: every one) and names to leave out, per field.
  public var databases: [String] = []
  public var users: [String] = []
  public var applications: [String] = []
  public var hosts: [String] = []
  public var excludedDatabases: [String] = []
  public var excludedUsers: [String] = []
  public var excludedApplications: [String] = []
  public var excludedHosts: [String] = []

  public init() {}

  public var isEmpty: Bool {
    [databases, users, applications, hosts, excludedDatabases, excludedUsers, excludedApplications, excludedHosts]
      .allSatisfy(\.isEmpty)
  }

  /// What it keeps and leaves out, as the report says it; nil when it is empty.
  public var description: String? {
    var parts: [String] = []
    for (names, what) in [
      (databases, "database"), (users, "user"), (applications, "application"), (hosts, "host"),
    ] where !names.isEmpty {
      parts.append("\(what) \(names.joined(separator: " or "))")
    }
    for (names, what) in [
      (excludedDatabases, "database"), (excludedUsers, "user"), (excludedApplications, "application"),
      (excludedHosts, "host"),
    ] where !names.isEmpty {
      parts.append("not \(what) \(names.joined(separator: " or "))")
    }
    return parts.isEmpty ? nil : parts.joined(separator: "; ")
  }

  /// Whether the record is kept.
  public func keeps(_ entry: LogEntry) -> Bool {
    Self.keeps(entry.database, databases, excludedDatabases) && Self.keeps(entry.user, users, excludedUsers)
      && Self.keeps(entry.application, applications, excludedApplications)
      && Self.keeps(entry.clientHost, hosts, excludedHosts)
  }

  static func keeps(_ value: ByteView, _ included: [String], _ excluded: [String]) -> Bool {
    guard !value.isEmpty, !(included.isEmpty && excluded.isEmpty) else { return true }
    func matches(_ name: String) -> Bool { name.utf8.elementsEqual(value) }
    if !included.isEmpty && !included.contains(where: matches) { return false }
    return !excluded.contains(where: matches)
  }
}

/// Passes on the records inside the time window that the record filter keeps, and counts the others.
public struct WindowFilter<Downstream: LogEntrySink>: LogEntrySink {
  public var downstream: Downstream
  public let window: TimeWindow
  public let filter: RecordFilter
  /// Whether the filter leaves anything out (checked once, not per record).
  private let filtering: Bool
  public private(set) var outside = 0
  public private(set) var filtered = 0

  public init(downstream: Downstream, window: TimeWindow, filter: RecordFilter = RecordFilter()) {
    self.downstream = downstream
    self.window = window
    self.filter = filter
    filtering = !filter.isEmpty
  }

  public mutating func consume(_ entry: LogEntry) {
    guard window.isUnbounded || window.contains(entry.time) else {
      outside += 1
      return
    }
    guard !filtering || filter.keeps(entry) else {
      filtered += 1
      return
    }
    downstream.consume(entry)
  }
}
