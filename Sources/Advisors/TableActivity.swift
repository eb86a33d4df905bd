// How much each table is read and written in the log: the basis of every write-cost warning.
import Fingerprint

public struct TableActivity: Sendable {
  public var table: TableName
  /// Executions of statements that read the table.
  public var reads = 0
  public var writes: [WriteKind: Int] = [:]
  /// UPDATEs (and ON CONFLICT DO UPDATE), with the columns they set.
  public internal(set) var updates: [UpdateShape] = []
  /// For each column, the positions in `updates` of the shapes that set it (kept by `ActivityCounter`).
  var updatesSetting: [String: [Int]] = [:]

  public struct UpdateShape: Sendable {
    public var fingerprint: Fingerprint
    public var columns: [String]
    public var calls: Int
  }

  public var totalWrites: Int { writes.values.reduce(0, +) }
}

/// Counts reads and writes per table over every fingerprint of the log.
public struct ActivityCounter: Sendable {
  public private(set) var tables: [TableActivity] = []
  /// Positions in `tables` by table name (the schema is told apart by `sameTable`).
  private var byName: [String: [Int]] = [:]

  public init() {}

  func position(of table: TableName) -> Int? {
    byName[table.name]?.first { tables[$0].table.sameTable(as: table) }
  }

  mutating func index(of table: TableName) -> Int {
    if let found = position(of: table) { return found }
    tables.append(TableActivity(table: table))
    byName[table.name, default: []].append(tables.count - 1)
    return tables.count - 1
  }

  public mutating func add(_ facts: StatementFacts, fingerprint: Fingerprint, executions: Int) {
    guard executions > 0 else { return }
    var readTables: Set<Int> = []
    for access in facts.accesses where access.isRead { readTables.insert(index(of: access.table)) }
    for table in readTables { tables[table].reads += executions }
    for write in facts.writes {
      let i = index(of: write.table)
      tables[i].writes[write.kind, default: 0] += executions
      if write.kind == .update && !write.setColumns.isEmpty {
        tables[i].updates.append(
          TableActivity.UpdateShape(fingerprint: fingerprint, columns: write.setColumns, calls: executions))
        for column in Set(write.setColumns) {
          tables[i].updatesSetting[column, default: []].append(tables[i].updates.count - 1)
        }
      }
    }
  }

  public func activity(of table: TableName) -> TableActivity {
    position(of: table).map { tables[$0] } ?? TableActivity(table: table)
  }
}

/// The write side of one index suggestion, and the warning it earns: counted from the writes of the log that
/// add an entry to this index (every INSERT and COPY, only those matching its predicate for a partial index, and
/// the UPDATEs that set one of its columns; DELETEs add none, vacuum removes their entries later).
public struct WriteCost: Sendable {
  public enum Warning: String, Sendable, Codable {
    /// The index's writes are at least the table's reads, or more than 60 a minute.
    case writeHeavy = "write-heavy"
    /// UPDATEs set a column the index would hold: they stop being HOT and must update every index.
    case breaksHot = "breaks-hot"
    /// The index's writes are 20 to 50 percent of the table's statements.
    case note
  }

  /// Where new entries go in the index, by its leading column.
  public enum KeyOrder: String, Sendable, Codable {
    /// Ever-growing values (a timestamp, a sequence): new entries land on the rightmost leaf page, cheap.
    case appendOnly = "append-only"
    /// Values in no order: each new entry lands on a leaf page anywhere in the index, more pages dirtied.
    case random
  }

  public var reads: Int
  public var writes: Int
  public var writesByKind: [WriteKind: Int]
  public var writesPerMinute: Double
  public var readsPerMinute: Double
  /// The writes that add an entry to this index (INSERT, COPY, UPDATEs setting one of its columns), a minute.
  public var indexWrites: Int
  public var entriesPerMinute: Double
  /// The index's writes as a share of the table's statements, 0 to 1.
  public var writeShare: Double
  /// UPDATE shapes whose SET list touches a column of the suggestion.
  public var hotBreakingUpdates: [TableActivity.UpdateShape]
  /// Estimated bytes of one index entry (its key columns) and of one table row, when column types are known.
  public var indexEntryBytes: Int?
  public var rowBytes: Int?
  public var keyOrder: KeyOrder?
  /// How `keyOrder` was told: its type (`timestamp with time zone`) or its name (`created_at`).
  public var keyOrderBasis: String?
  /// Every warning that applies, most severe first; `warning` is the first.
  public var warnings: [Warning]
  public var warning: Warning? { warnings.first }

  /// Before the log's writes are counted (the advisor fills it in once it has seen every statement).
  static let unknown = WriteCost(
    reads: 0, writes: 0, writesByKind: [:], writesPerMinute: 0, readsPerMinute: 0, indexWrites: 0,
    entriesPerMinute: 0, writeShare: 0, hotBreakingUpdates: [], indexEntryBytes: nil, rowBytes: nil, keyOrder: nil,
    keyOrderBasis: nil, warnings: [])

  /// The INSERTs of a partial index's table, by whether their rows match its predicate.
  public struct PartialInserts: Sendable, Equatable {
    public var matching = 0
    public var notMatching = 0
    /// Of those, how many were judged from the sampled executions (their constants changed in the log).
    public var estimated = 0
    /// INSERTs whose predicate values the log does not give (bind parameters, expressions, defaults): counted as
    /// adding an entry.
    public var unknown = 0

    /// The INSERTs counted as adding an entry: the matching ones and the unknown.
    public var adding: Int { matching + unknown }
    /// Every INSERT of the table.
    public var total: Int { matching + notMatching + unknown }
  }

  /// The INSERTs and COPYs that add an entry to this index.
  public var insertEntries: Int { Self.insertEntries(writesByKind, partialInserts) }

  /// The INSERTs and COPYs of `writes` that add an entry: for a partial index only the INSERTs whose rows match
  /// its predicate (or whose values the log lacks).
  static func insertEntries(_ writes: [WriteKind: Int], _ partial: PartialInserts?) -> Int {
    (partial?.adding ?? writes[.insert] ?? 0) + (writes[.copy] ?? 0)
  }

  /// For a partial index, its table's INSERTs by whether they match the predicate; nil for a full index.
  public var partialInserts: PartialInserts?

  static func estimate(
    activity: TableActivity, keyColumns: [String], predicateColumns: [String], partialInserts: PartialInserts? = nil,
    minutes: Double, catalog: SchemaCatalog
  ) -> WriteCost {
    let perMinute = { (count: Int) in Double(count) / max(minutes, 1.0 / 60) }
    // An UPDATE that sets a key or predicate column writes a new entry; one that sets none of them may be HOT
    // and writes none.
    let hot = Set((keyColumns + predicateColumns).flatMap { activity.updatesSetting[$0] ?? [] }).sorted()
      .map { activity.updates[$0] }
    let updatesTouching = hot.reduce(0) { $0 + $1.calls }
    let indexWrites =
      insertEntries(activity.writes, partialInserts) + min(updatesTouching, activity.writes[.update] ?? 0)
    let total = activity.totalWrites + activity.reads
    let share = total > 0 ? Double(indexWrites) / Double(total) : 0
    var warnings: [Warning] = []
    if !hot.isEmpty { warnings.append(.breaksHot) }
    if indexWrites > 0 && (indexWrites >= activity.reads || perMinute(indexWrites) > 60) {
      warnings.append(.writeHeavy)
    } else if share >= 0.2 && share <= 0.5 {
      warnings.append(.note)
    }
    var entryBytes: Int?
    var rowBytes: Int?
    let table = catalog.table(activity.table)
    if let table, !table.columns.isEmpty {
      let widths = Dictionary(
        table.columns.map { ($0.name, catalog.width(of: $0.name, in: activity.table, type: $0.type)) }
      ) { a, _ in a }
      // Index tuple: 8-byte header, key data padded to 8, and a 4-byte line pointer (a partial index's
      // predicate columns are not in its entries).
      let keyBytes = keyColumns.reduce(0) { $0 + (widths[$1] ?? 8) }
      entryBytes = 8 + (keyBytes + 7) / 8 * 8 + 4
      // Heap tuple: 24-byte header, data padded to 8, a 4-byte line pointer.
      let dataBytes = table.columns.reduce(0) { $0 + (widths[$1.name] ?? 8) }
      rowBytes = 24 + (dataBytes + 7) / 8 * 8 + 4
    }
    let order = keyColumns.first.map { key in keyOrder(of: key, type: table?.columns.first { $0.name == key }?.type) }
    var cost = WriteCost(
      reads: activity.reads, writes: activity.totalWrites, writesByKind: activity.writes,
      writesPerMinute: perMinute(activity.totalWrites), readsPerMinute: perMinute(activity.reads),
      indexWrites: indexWrites, entriesPerMinute: perMinute(indexWrites), writeShare: share, hotBreakingUpdates: hot,
      indexEntryBytes: entryBytes, rowBytes: rowBytes, keyOrder: order?.order, keyOrderBasis: order?.basis,
      warnings: warnings)
    cost.partialInserts = partialInserts
    return cost
  }

  /// Whether a leading column's new values grow (timestamps, dates, sequences) or fall anywhere: by its type when
  /// the schema gives one, else by its name.
  static func keyOrder(of column: String, type: String?) -> (order: KeyOrder, basis: String) {
    if let type = type?.lowercased() {
      let growing = ["timestamp", "date", "serial", "bigserial", "smallserial"].contains { type.hasPrefix($0) }
      return (growing ? .appendOnly : .random, "its type, \(type)")
    }
    let name = column.lowercased()
    let growing =
      name == "id" || name.hasSuffix("_at") || name.hasSuffix("_on") || name.hasSuffix("_time")
      || name.hasPrefix("created") || name.hasPrefix("inserted") || name == "timestamp" || name == "ts"
    return (growing ? .appendOnly : .random, "its name, \(column)")
  }
}
