// The index advice as the JSON report carries it (schema version 2; docs/json-schema.md).

public struct IndexSuggestionReport: Codable, Sendable {
  public var table: String
  /// Key columns in index order (with `DESC` or an operator class when the index needs one).
  public var columns: [String]
  /// The partial-index predicate, or null.
  public var `where`: String?
  public var ddl: String
  /// The fingerprints of the queries it serves.
  public var fingerprints: [String]
  public var served: [ServedQuery]
  /// Time over the threshold in the queries it serves.
  public var slowMs: Double
  public var totalMs: Double
  public var reasons: [String]
  /// The most severe write warning (`breaks-hot`, `write-heavy`, `note`) or null; the figures are in `write_cost`.
  public var writeWarning: String?
  public var writeCost: WriteCostReport
  /// `heuristic` from the log alone, `validated` when a live database confirmed it with HypoPG.
  public var confidence: String
  public var validated: ValidationReport?

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(table, forKey: .table)
    try c.encode(columns, forKey: .columns)
    try c.encode(`where`, forKey: .where)
    try c.encode(ddl, forKey: .ddl)
    try c.encode(fingerprints, forKey: .fingerprints)
    try c.encode(served, forKey: .served)
    try c.encode(slowMs, forKey: .slowMs)
    try c.encode(totalMs, forKey: .totalMs)
    try c.encode(reasons, forKey: .reasons)
    try c.encode(writeWarning, forKey: .writeWarning)
    try c.encode(writeCost, forKey: .writeCost)
    try c.encode(confidence, forKey: .confidence)
    try c.encode(validated, forKey: .validated)
  }

  enum CodingKeys: String, CodingKey {
    case table, columns, `where`, ddl, fingerprints, served, slowMs = "slow_ms", totalMs = "total_ms", reasons
    case writeWarning = "write_warning", writeCost = "write_cost", confidence, validated
  }
}

public struct ServedQuery: Codable, Sendable {
  public var fingerprint: String
  public var calls: Int
  public var slowCalls: Int
  public var slowMs: Double
  public var totalMs: Double

  enum CodingKeys: String, CodingKey {
    case fingerprint, calls, slowCalls = "slow_calls", slowMs = "slow_ms", totalMs = "total_ms"
  }
}

public struct WriteCostReport: Codable, Sendable {
  public var reads: Int
  public var writes: Int
  public var inserts: Int
  public var updates: Int
  public var deletes: Int
  public var copies: Int
  public var readsPerMinute: Double
  public var writesPerMinute: Double
  /// Writes as a share of the table's statements, 0 to 1.
  public var writeShare: Double
  public var hotBreakingUpdates: [HotBreakingUpdate]
  public var indexEntryBytes: Int?
  public var rowBytes: Int?
  public var warnings: [String]
  /// What the figures mean, in words, including how a filtered log undercounts writes.
  public var explanation: String

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(reads, forKey: .reads)
    try c.encode(writes, forKey: .writes)
    try c.encode(inserts, forKey: .inserts)
    try c.encode(updates, forKey: .updates)
    try c.encode(deletes, forKey: .deletes)
    try c.encode(copies, forKey: .copies)
    try c.encode(readsPerMinute, forKey: .readsPerMinute)
    try c.encode(writesPerMinute, forKey: .writesPerMinute)
    try c.encode(writeShare, forKey: .writeShare)
    try c.encode(hotBreakingUpdates, forKey: .hotBreakingUpdates)
    try c.encode(indexEntryBytes, forKey: .indexEntryBytes)
    try c.encode(rowBytes, forKey: .rowBytes)
    try c.encode(warnings, forKey: .warnings)
    try c.encode(explanation, forKey: .explanation)
  }

  enum CodingKeys: String, CodingKey {
    case reads, writes, inserts, updates, deletes, copies, readsPerMinute = "reads_per_minute"
    case writesPerMinute = "writes_per_minute", writeShare = "write_share", hotBreakingUpdates = "hot_breaking_updates"
    case indexEntryBytes = "index_entry_bytes", rowBytes = "row_bytes", warnings, explanation
  }
}

public struct HotBreakingUpdate: Codable, Sendable {
  public var fingerprint: String
  public var columns: [String]
  public var calls: Int
}

public struct ValidationReport: Codable, Sendable {
  public var plans: [PlanCost]
  public var indexBytes: Int64?
  public var tableRows: Double?

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(plans, forKey: .plans)
    try c.encode(indexBytes, forKey: .indexBytes)
    try c.encode(tableRows, forKey: .tableRows)
  }

  enum CodingKeys: String, CodingKey {
    case plans, indexBytes = "index_bytes", tableRows = "table_rows"
  }
}

public struct PlanCost: Codable, Sendable {
  public var fingerprint: String
  public var costBefore: Double
  public var costAfter: Double
  public var usesIndex: Bool
  public var generic: Bool

  enum CodingKeys: String, CodingKey {
    case fingerprint, costBefore = "cost_before", costAfter = "cost_after", usesIndex = "uses_index", generic
  }
}

public struct UnusablePredicateReport: Codable, Sendable {
  public var table: String
  public var column: String?
  public var reason: String
  public var fingerprints: [String]
  public var slowMs: Double

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(table, forKey: .table)
    try c.encode(column, forKey: .column)
    try c.encode(reason, forKey: .reason)
    try c.encode(fingerprints, forKey: .fingerprints)
    try c.encode(slowMs, forKey: .slowMs)
  }

  enum CodingKeys: String, CodingKey {
    case table, column, reason, fingerprints, slowMs = "slow_ms"
  }
}
