// One index the log argues for: its columns, the queries it serves and the time at stake, and what it costs
// the table's writes.
import Fingerprint
import Statistics

public struct IndexColumn: Sendable, Hashable {
  public var name: String
  public var descending: Bool
  /// `text_pattern_ops` for a `LIKE 'prefix%'` column.
  public var operatorClass: String?
  /// For an expression (`name` is then its SQL, `lower(email)`), the column it reads.
  public var expressionOf: String? = nil

  /// The table column this key reads.
  public var column: String { expressionOf ?? name }

  var sql: String {
    var text = expressionOf != nil ? "(" + name + ")" : SQLText.identifier(name)
    if let operatorClass { text += " " + operatorClass }
    if descending { text += " DESC" }
    return text
  }
}

public struct IndexSuggestion: Sendable {
  public var table: TableName
  public var columns: [IndexColumn]
  /// The partial-index predicate, e.g. `status = 'pending'`, when one constant appears in nearly every execution.
  public var predicate: String?
  public var predicateColumns: [String]
  /// The constant each predicate column equals (`'buy'`), as written.
  public var predicateValues: [String: String] = [:]
  /// The queries it serves, with what each contributes.
  public var served: [Served]
  public var reasons: [String]
  public var writeCost: WriteCost
  /// Filled in when a live database checked the suggestion with HypoPG.
  public var validation: Validation?
  /// Why its leading column is likely low-selectivity (the planner may prefer a scan), or nil.
  public var lowSelectivity: String? = nil
  /// The index method when not btree: `gin`.
  public var method: String? = nil

  public struct Served: Sendable {
    public var fingerprint: Fingerprint
    public var calls: Int
    public var slowCalls: Int
    public var slowUs: Int64
    public var totalUs: Int64
    /// This suggestion's share of the query's time: 1 over the suggestions that serve it.
    public var share = 1.0

    init(_ query: QueryStats) {
      fingerprint = query.fingerprint
      calls = query.calls
      slowCalls = query.slowCalls
      slowUs = query.slowTotalUs
      totalUs = query.totalUs
    }
  }

  public struct Validation: Sendable {
    /// Which execution's values a plan was made with.
    public enum Parameters: String, Sendable {
      /// The slowest logged execution, with its bind parameters when the log gave them.
      case slowest
      /// The text most of the sampled executions share.
      case mostCommon = "most common"
      /// One sampled execution, when every sampled text differs.
      case sampled
      /// PostgreSQL's generic plan of a `$n` statement whose values the log did not give.
      case generic
    }

    public struct Plan: Sendable {
      public var fingerprint: Fingerprint
      public var parameters: Parameters
      /// Without any hypothetical index.
      public var costBefore: Double
      /// With every suggestion of the run created together, as they would be.
      public var costAfter: Double
      /// With this suggestion's index alone.
      public var costAlone: Double
      /// Whether the plan with every suggestion uses this one.
      public var usesIndex: Bool
      public var usesIndexAlone: Bool
      /// Whether the plan is PostgreSQL's generic plan (statements with `$n` parameters).
      public var generic: Bool
      /// The query's calls, shared among its parameter sets, to weigh its cost.
      public var weight: Double
      public init(
        fingerprint: Fingerprint, parameters: Parameters, costBefore: Double, costAfter: Double, costAlone: Double,
        usesIndex: Bool, usesIndexAlone: Bool, generic: Bool, weight: Double
      ) {
        self.fingerprint = fingerprint
        self.parameters = parameters
        self.costBefore = costBefore
        self.costAfter = costAfter
        self.costAlone = costAlone
        self.usesIndex = usesIndex
        self.usesIndexAlone = usesIndexAlone
        self.generic = generic
        self.weight = weight
      }
    }
    public var plans: [Plan]
    public var indexBytes: Int64?
    public var tableRows: Double?
    /// Why the check rejected it, or nil when it kept it.
    public var rejection: String?
    public init(plans: [Plan], indexBytes: Int64?, tableRows: Double?, rejection: String? = nil) {
      self.plans = plans
      self.indexBytes = indexBytes
      self.tableRows = tableRows
      self.rejection = rejection
    }

    /// Planner cost summed over the served queries and their parameter sets, weighted by calls: before, with
    /// every suggestion, and with this one alone.
    public var weightedCosts: (before: Double, after: Double, alone: Double) {
      (
        plans.reduce(0) { $0 + $1.costBefore * $1.weight },
        plans.reduce(0) { $0 + $1.costAfter * $1.weight },
        plans.reduce(0) { $0 + $1.costAlone * $1.weight }
      )
    }
  }

  /// Time over the threshold, and all the time, of the queries it serves, each query's split between the
  /// suggestions that serve it (never counted twice): what ranks suggestions.
  public var slowUs: Int64 { served.reduce(0) { $0 + Int64((Double($1.slowUs) * $1.share).rounded()) } }
  public var totalUs: Int64 { served.reduce(0) { $0 + Int64((Double($1.totalUs) * $1.share).rounded()) } }

  public var name: String {
    var parts = [table.name] + columns.map(\.name) + (method.map { [$0] } ?? [])
    if !predicateColumns.isEmpty { parts += ["where"] + predicateColumns }
    let base = parts.joined(separator: "_").lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
    // An expression's parentheses and spaces become one underscore, none at the ends.
    let words = String(base).split(separator: "_", omittingEmptySubsequences: true).joined(separator: "_")
    return String(words.prefix(59)) + "_idx"
  }

  /// Ready-to-run DDL: CONCURRENTLY so that building it does not block writes.
  public var ddl: String {
    var text = "CREATE INDEX CONCURRENTLY IF NOT EXISTS \(SQLText.identifier(name)) ON "
    if let schema = table.schema { text += SQLText.identifier(schema) + "." }
    text +=
      SQLText.identifier(table.name) + (method.map { " USING " + $0 } ?? "") + " ("
      + columns.map(\.sql).joined(separator: ", ") + ")"
    if let predicate { text += " WHERE " + predicate }
    return text + ";"
  }

  /// The plain statement HypoPG takes (`hypopg_create_index`): no name, no CONCURRENTLY.
  public var hypotheticalDDL: String {
    var text = "CREATE INDEX ON "
    if let schema = table.schema { text += SQLText.identifier(schema) + "." }
    text +=
      SQLText.identifier(table.name) + (method.map { " USING " + $0 } ?? "") + " ("
      + columns.map(\.sql).joined(separator: ", ") + ")"
    if let predicate { text += " WHERE " + predicate }
    return text
  }

  public var confidence: String { validation == nil ? "heuristic" : "validated" }
}

/// A predicate in a slow query that no btree index can serve as written.
public struct UnusableFinding: Sendable {
  public var table: TableName
  public var column: String?
  public var reason: String
  public var fingerprints: [Fingerprint]
  public var slowUs: Int64
}

enum SQLText {
  /// An identifier, quoted only when it must be.
  static func identifier(_ name: String) -> String {
    let plain =
      name.first.map { $0 == "_" || ($0.isLetter && $0.isLowercase) } ?? false
      && name.allSatisfy { $0 == "_" || $0.isNumber || ($0.isLetter && $0.isLowercase && $0.isASCII) }
    return plain ? name : "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
