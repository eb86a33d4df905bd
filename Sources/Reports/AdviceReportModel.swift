// The index advice as the JSON report carries it (schema version 2; docs/json-schema.md).
import NullCoding

public struct IndexSuggestionReport: Codable, Sendable {
  public var table: String
  /// Key columns in index order (with `DESC` or an operator class when the index needs one).
  public var columns: [String]
  /// The partial-index predicate, or null.
  @WritesNull public var `where`: String? = nil
  public var ddl: String
  /// The fingerprints of the queries it serves.
  public var fingerprints: [String]
  public var served: [ServedQuery]
  /// Time over the threshold in the queries it serves.
  public var slowMs: Double
  public var totalMs: Double
  public var reasons: [String]
  /// The most severe write warning (`breaks-hot`, `write-heavy`, `note`) or null; the figures are in `write_cost`.
  @WritesNull public var writeWarning: String? = nil
  public var writeCost: WriteCostReport
  /// `heuristic` from the log alone, `validated` when a live database confirmed it with HypoPG.
  public var confidence: String
  @WritesNull public var validated: ValidationReport? = nil
  /// Why its leading column is likely low-selectivity (ranked after the others), or null.
  @WritesNull public var lowSelectivity: String? = nil

  enum CodingKeys: String, CodingKey {
    case table, columns, `where`, ddl, fingerprints, served, slowMs = "slow_ms", totalMs = "total_ms", reasons
    case writeWarning = "write_warning", writeCost = "write_cost", confidence, validated
    case lowSelectivity = "low_selectivity"
  }
}

public struct ServedQuery: Codable, Sendable {
  public var fingerprint: String
  public var calls: Int
  public var slowCalls: Int
  public var slowMs: Double
  public var totalMs: Double
  /// The suggestion's share of the query's time (1 over the suggestions that serve it).
  public var share: Double = 1

  enum CodingKeys: String, CodingKey {
    case fingerprint, calls, slowCalls = "slow_calls", slowMs = "slow_ms", totalMs = "total_ms", share
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
  @WritesNull public var indexEntryBytes: Int? = nil
  @WritesNull public var rowBytes: Int? = nil
  public var warnings: [String]
  /// What the figures mean, in words, including how a filtered log undercounts writes.
  public var explanation: String
  /// The writes that add an entry to this index (INSERT, COPY, the UPDATEs setting one of its columns; not
  /// DELETE), in all and a minute.
  public var indexWrites = 0
  public var entriesPerMinute = 0.0
  /// `append-only` (a growing leading column: cheap) or `random`, and how it was told.
  @WritesNull public var keyOrder: String? = nil
  @WritesNull public var keyOrderBasis: String? = nil
  /// For a partial index, the table's INSERTs by whether their rows match its predicate; null for a full index.
  @WritesNull public var partialInserts: PartialInsertsReport? = nil

  enum CodingKeys: String, CodingKey {
    case reads, writes, inserts, updates, deletes, copies, readsPerMinute = "reads_per_minute"
    case writesPerMinute = "writes_per_minute", writeShare = "write_share", hotBreakingUpdates = "hot_breaking_updates"
    case indexEntryBytes = "index_entry_bytes", rowBytes = "row_bytes", warnings, explanation
    case indexWrites = "index_writes", entriesPerMinute = "entries_per_minute", keyOrder = "key_order"
    case keyOrderBasis = "key_order_basis", partialInserts = "partial_inserts"
  }
}

public struct PartialInsertsReport: Codable, Sendable, Equatable {
  public var matching: Int
  public var notMatching: Int
  public var estimated: Int
  public var unknown: Int

  enum CodingKeys: String, CodingKey {
    case matching, notMatching = "not_matching", estimated, unknown
  }
}

public struct HotBreakingUpdate: Codable, Sendable {
  public var fingerprint: String
  public var columns: [String]
  public var calls: Int
}

public struct ValidationReport: Codable, Sendable {
  public var plans: [PlanCost]
  @WritesNull public var indexBytes: Int64? = nil
  @WritesNull public var tableRows: Double? = nil
  /// Why the check rejected it; null when kept.
  @WritesNull public var rejection: String? = nil

  enum CodingKeys: String, CodingKey {
    case plans, indexBytes = "index_bytes", tableRows = "table_rows", rejection
  }
}

public struct PlanCost: Codable, Sendable {
  public var fingerprint: String
  /// `slowest`, `most common`, `sampled` or `generic`: which execution's values the plan was made with.
  public var parameters: String
  public var costBefore: Double
  /// With every suggestion created together.
  public var costAfter: Double
  /// With this suggestion alone.
  public var costAlone: Double
  public var usesIndex: Bool
  public var usesIndexAlone: Bool
  public var generic: Bool

  enum CodingKeys: String, CodingKey {
    case fingerprint, parameters, costBefore = "cost_before", costAfter = "cost_after", costAlone = "cost_alone"
    case usesIndex = "uses_index", usesIndexAlone = "uses_index_alone", generic
  }
}

public struct UnusablePredicateReport: Codable, Sendable {
  public var table: String
  @WritesNull public var column: String? = nil
  public var reason: String
  public var fingerprints: [String]
  public var slowMs: Double

  enum CodingKeys: String, CodingKey {
    case table, column, reason, fingerprints, slowMs = "slow_ms"
  }
}
