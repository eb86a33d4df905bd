// Checks index suggestions against a live database with HypoPG: the planner's cost for each served query
// before and after a hypothetical index. Read-only throughout: the session is read-only, nothing is executed
// (EXPLAIN without ANALYZE), no real index is created, and statement and lock timeouts are set.
import Advisors
import Fingerprint
import Foundation
import LogInput
import Statistics

public struct HypotheticalValidator {
  /// A suggestion is kept only if the served queries' cost falls by at least this share.
  public static let requiredCostCut = 0.5
  /// At most this many served queries are explained per suggestion (the ones with the most slow time).
  public static let maxPlansPerSuggestion = 5

  let connection: PostgresConnection
  public private(set) var hypoPGVersion: String?

  /// Connects and makes the session safe: read-only, with statement and lock timeouts.
  public init(dsn: String) throws(DatabaseError) {
    connection = try PostgresConnection(dsn: dsn)
    try connection.query("SET default_transaction_read_only = on")
    try connection.query("SET statement_timeout = '10s'")
    try connection.query("SET lock_timeout = '1s'")
    try connection.query("SET application_name = 'pgsift'")
    hypoPGVersion =
      try connection.query("SELECT extversion FROM pg_extension WHERE extname = 'hypopg'").first?.first ?? nil
  }

  /// Tables, column types, row estimates, column statistics (pg_stats) and indexes of the user schemas.
  /// Connects to --dsn and adds its tables and indexes to `catalog`; nil, with a word, when it cannot connect or
  /// HypoPG is not installed there (the suggestions stay heuristic).
  public static func connect(
    _ dsn: String, catalog: inout SchemaCatalog, diagnostics: inout Diagnostics
  ) -> HypotheticalValidator? {
    do {
      let connected = try HypotheticalValidator(dsn: dsn)
      catalog.merge(try connected.catalog())
      guard connected.hypoPGVersion != nil else {
        diagnostics.report(
          .database, at: InputLocation(file: "--dsn"),
          "HypoPG is not installed in this database (CREATE EXTENSION hypopg, from the postgresql-15-hypopg "
            + "package); suggestions stay heuristic")
        return nil
      }
      return connected
    } catch {
      diagnostics.report(.database, at: InputLocation(file: "--dsn"), "\(error.message); suggestions stay heuristic")
      return nil
    }
  }

  public func catalog() throws(DatabaseError) -> SchemaCatalog {
    var catalog = SchemaCatalog()
    let columns = try connection.query(
      """
      SELECT n.nspname, c.relname, c.reltuples::float8, a.attname, t.typname
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      JOIN pg_type t ON t.oid = a.atttypid
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg_toast%'
      ORDER BY n.nspname, c.relname, a.attnum
      """)
    var current: (TableName, Double?, [SchemaCatalog.Column])?
    for row in columns {
      guard let schema = row[0], let table = row[1], let column = row[3], let type = row[4] else { continue }
      let name = TableName(schema: schema, name: table)
      if current?.0 != name {
        if let (done, rows, cols) = current {
          catalog.addTable(SchemaCatalog.Table(name: done, columns: cols), rows: rows)
        }
        // reltuples is -1 for a table never vacuumed or analyzed: unknown.
        let rows = row[2].flatMap(Double.init).flatMap { $0 >= 0 ? $0 : nil }
        current = (name, rows, [])
      }
      current?.2.append(SchemaCatalog.Column(name: column, type: type))
    }
    if let (done, rows, cols) = current { catalog.addTable(SchemaCatalog.Table(name: done, columns: cols), rows: rows) }
    let separator = "\u{1F}"
    let indexes = try connection.query(
      """
      SELECT n.nspname, c.relname, i.relname, ix.indisunique, ix.indisprimary, ix.indpred IS NOT NULL,
        array_to_string(ARRAY(
          SELECT CASE WHEN k.attnum = 0 THEN '(expression)' ELSE a.attname END
          FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
          LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
          WHERE k.position <= ix.indnkeyatts ORDER BY k.position), E'\\x1F')
      FROM pg_index ix JOIN pg_class c ON c.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
      """)
    for row in indexes {
      guard let schema = row[0], let table = row[1] else { continue }
      catalog.addIndex(
        SchemaCatalog.Index(
          table: TableName(schema: schema, name: table), name: row[2],
          columns: (row[6] ?? "").components(separatedBy: separator), unique: row[3] == "t", primary: row[4] == "t",
          partial: row[5] == "t"))
    }
    let statistics = try connection.query(
      """
      SELECT tablename, attname, n_distinct::float8, avg_width FROM pg_stats
      WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
      """)
    for row in statistics {
      guard let table = row[0], let column = row[1], let distinct = row[2].flatMap(Double.init),
        let width = row[3].flatMap(Int.init)
      else { continue }
      catalog.addColumnStatistics(table: table, column: column, nDistinct: distinct, averageWidth: width)
    }
    return catalog
  }

  public enum Outcome {
    /// Checked: the plans, and whether the cost fell enough to keep the suggestion.
    case checked(IndexSuggestion.Validation, keep: Bool)
    /// Could not be checked (no example parsed, every EXPLAIN failed); the suggestion stays heuristic.
    case unchecked(reason: String)
  }

  /// Explains the served queries without and with the suggested index as a hypothetical one.
  public func validate(_ suggestion: IndexSuggestion, examples: [Fingerprint: (text: String, calls: Int)]) -> Outcome {
    guard hypoPGVersion != nil else { return .unchecked(reason: "HypoPG is not installed in this database") }
    var plans: [IndexSuggestion.Validation.Plan] = []
    var failures: [String] = []
    var indexBytes: Int64?
    defer { _ = try? connection.query("SELECT hypopg_reset()") }
    for served in suggestion.served.prefix(Self.maxPlansPerSuggestion) {
      guard let example = examples[served.fingerprint] else { continue }
      do {
        _ = try connection.query("SELECT hypopg_reset()")
        let before = try explain(example.text)
        let created = try connection.query(
          "SELECT indexrelid FROM hypopg_create_index(\(PostgresConnection.literal(suggestion.hypotheticalDDL)))")
        guard let oid = created.first?.first ?? nil else { throw DatabaseError(message: "HypoPG created no index") }
        if indexBytes == nil {
          indexBytes = try connection.query("SELECT hypopg_relation_size(\(oid)::oid)").first?.first?.flatMap {
            Int64($0)
          }
        }
        let after = try explain(example.text)
        plans.append(
          IndexSuggestion.Validation.Plan(
            fingerprint: served.fingerprint, costBefore: before.cost, costAfter: after.cost,
            usesIndex: after.plan.contains("<\(oid)>"), generic: before.generic, weight: max(1, example.calls)))
      } catch {
        failures.append("\(served.fingerprint.hex): \(error)")
      }
    }
    guard !plans.isEmpty else {
      return .unchecked(reason: failures.isEmpty ? "no example statement to explain" : failures.joined(separator: "; "))
    }
    let validation = IndexSuggestion.Validation(
      plans: plans, indexBytes: indexBytes, tableRows: nil)
    let (before, after) = validation.weightedCosts
    return .checked(validation, keep: before > 0 && after <= before * (1 - Self.requiredCostCut))
  }

  /// The planner's total cost for a statement. Statements with `$n` parameters get PostgreSQL's generic plan
  /// (prepared anew each time, since a cached plan would not see a new hypothetical index).
  func explain(_ sql: String) throws(DatabaseError) -> (cost: Double, plan: String, generic: Bool) {
    var text = sql.trimmingCharacters(in: .whitespacesAndNewlines)
    while text.hasSuffix(";") { text = String(text.dropLast()).trimmingCharacters(in: .whitespacesAndNewlines) }
    let parameters = Self.parameterCount(text)
    let rows: [[String?]]
    if parameters > 0 {
      _ = try? connection.query("DEALLOCATE pgsift_check")
      try connection.query("PREPARE pgsift_check AS " + text)
      defer { _ = try? connection.query("DEALLOCATE pgsift_check") }
      try connection.query("SET plan_cache_mode = force_generic_plan")
      let nulls = Array(repeating: "NULL", count: parameters).joined(separator: ", ")
      rows = try connection.query("EXPLAIN (FORMAT JSON) EXECUTE pgsift_check(\(nulls))")
      try connection.query("RESET plan_cache_mode")
    } else {
      rows = try connection.query("EXPLAIN (FORMAT JSON) " + text)
    }
    guard let json = rows.first?.first ?? nil,
      let parsed = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]],
      let plan = parsed.first?["Plan"] as? [String: Any], let cost = plan["Total Cost"] as? Double
    else { throw DatabaseError(message: "EXPLAIN gave no plan") }
    return (cost, json, parameters > 0)
  }

  /// The highest `$n` in a statement (outside string literals).
  static func parameterCount(_ sql: String) -> Int {
    var highest = 0
    var inQuote = false
    let chars = Array(sql.utf8)
    var i = 0
    while i < chars.count {
      let c = chars[i]
      if c == UInt8(ascii: "'") { inQuote.toggle() }
      if !inQuote && c == UInt8(ascii: "$") {
        var j = i + 1
        var value = 0
        while j < chars.count, chars[j] &- 0x30 < 10 {
          value = value * 10 + Int(chars[j] &- 0x30)
          j += 1
        }
        if j > i + 1 { highest = max(highest, value) }
        i = j
        continue
      }
      i += 1
    }
    return highest
  }
}

extension HypotheticalValidator {
  /// Checks each suggestion: keeps those that cut the planner's cost by `requiredCostCut`, moves the others to
  /// `rejected`, and leaves the ones it could not check as heuristic, saying why.
  public func check(_ advice: inout IndexAdvice, queries: [QueryStats], catalog: SchemaCatalog) {
    var examples: [Fingerprint: (text: String, calls: Int)] = [:]
    for query in queries { examples[query.fingerprint] = (query.example ?? query.normalized, query.calls) }
    var kept: [IndexSuggestion] = []
    for var suggestion in advice.suggestions {
      switch validate(suggestion, examples: examples) {
      case .checked(var validation, let keep):
        validation.tableRows = catalog.rows(of: suggestion.table)
        suggestion.validation = validation
        if keep { kept.append(suggestion) } else { advice.rejected.append(suggestion) }
      case .unchecked(let reason):
        suggestion.reasons.append("not validated: \(reason)")
        kept.append(suggestion)
      }
    }
    advice.suggestions = kept
  }
}
