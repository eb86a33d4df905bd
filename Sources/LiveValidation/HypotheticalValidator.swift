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
    /// Checked: the plans, and whether to keep the suggestion.
    case checked(IndexSuggestion.Validation, keep: Bool)
    /// Could not be checked (no example parsed, every EXPLAIN failed); the suggestion stays heuristic.
    case unchecked(reason: String)
  }

  /// One statement to plan for a served query: a text and, for `$n` statements, the values to bind (nil: the
  /// generic plan).
  public struct Statement: Sendable {
    public var fingerprint: Fingerprint
    public var parameters: IndexSuggestion.Validation.Parameters
    public var text: String
    public var values: [String?]?
    public var weight: Double
  }

  /// The parameter sets a query is planned with: its slowest execution and its most common sampled execution
  /// (for `$n` statements, with the bind values logged after each), and for `$n` statements PostgreSQL's generic
  /// plan too. Each carries a share of the query's calls.
  public static func statements(for query: QueryStats) -> [Statement] {
    let slowest = query.example ?? query.normalized
    var sets: [(IndexSuggestion.Validation.Parameters, String, [String?]?)] = []
    let count = parameterCount(slowest)
    if count > 0 {
      if let logged = query.exampleParameters, let values = bindValues(logged, count: count) {
        sets.append((.slowest, slowest, values))
      }
      // The bind values most sampled executions of this text share, or one of them when they all differ.
      let logged = query.sampledExecutions.filter { $0.text == slowest }.compactMap { sample in
        sample.parameters.flatMap { text in bindValues(text, count: count).map { (text: text, values: $0) } }
      }
      var counts: [String: Int] = [:]
      for set in logged { counts[set.text, default: 0] += 1 }
      if let common = logged.max(by: { (counts[$0.text]!, $1.text) < (counts[$1.text]!, $0.text) }),
        common.text != query.exampleParameters
      {
        sets.append((counts[common.text]! > 1 ? .mostCommon : .sampled, slowest, common.values))
      }
      sets.append((.generic, slowest, nil))
    } else {
      sets.append((.slowest, slowest, nil))
      var counts: [String: Int] = [:]
      let samples = query.samples
      for text in samples { counts[text, default: 0] += 1 }
      let common = samples.max { (counts[$0]!, $1) < (counts[$1]!, $0) }
      if let common, common != slowest, parameterCount(common) == 0 {
        sets.append((counts[common]! > 1 ? .mostCommon : .sampled, common, nil))
      }
    }
    let weight = Double(max(1, query.calls)) / Double(sets.count)
    return sets.map {
      Statement(fingerprint: query.fingerprint, parameters: $0.0, text: $0.1, values: $0.2, weight: weight)
    }
  }

  /// The values of a logged `parameters: $1 = '42', $2 = NULL` detail, in order; nil when it is not that, a
  /// parameter is missing, or a value was cut short by `log_parameter_max_length` (it ends in `...`).
  public static func bindValues(_ logged: String, count: Int) -> [String?]? {
    guard let parsed = BindParameters.parse(logged), parsed.count == count else { return nil }
    var values: [String?] = []
    for number in stride(from: 1, through: count, by: 1) {
      switch parsed[number] {
      case .text(let text)?: values.append(text)
      case .null?: values.append(nil)
      case .truncated?, nil: return nil
      }
    }
    return values
  }

  /// Checks the suggestions as the set they are: every served statement is planned without any hypothetical
  /// index, with all the suggestions created together, and with each suggestion alone. A suggestion is kept when
  /// the plans with the whole set use it and its served queries' call-weighted cost falls by `requiredCostCut`;
  /// so an index that helps only beside another (a join's two sides) is kept, and one the planner passes over
  /// (a low-selectivity column) is rejected.
  public func validate(_ suggestions: [IndexSuggestion], statements: [Fingerprint: [Statement]]) -> [Outcome] {
    guard hypoPGVersion != nil else {
      return suggestions.map { _ in .unchecked(reason: "HypoPG is not installed in this database") }
    }
    defer { _ = try? connection.query("SELECT hypopg_reset()") }
    let served = suggestions.map { suggestion in
      suggestion.served.prefix(Self.maxPlansPerSuggestion).flatMap { statements[$0.fingerprint] ?? [] }
    }
    struct Key: Hashable {
      var fingerprint: Fingerprint
      var parameters: IndexSuggestion.Validation.Parameters
    }
    var failures: [Key: String] = [:]
    func plan(_ statement: Statement, into plans: inout [Key: (cost: Double, plan: String)]) {
      let key = Key(fingerprint: statement.fingerprint, parameters: statement.parameters)
      guard plans[key] == nil, failures[key] == nil else { return }
      do { plans[key] = try explain(statement.text, values: statement.values) } catch {
        failures[key] = "\(statement.fingerprint.hex): \(error)"
      }
    }
    var before: [Key: (cost: Double, plan: String)] = [:]
    var together: [Key: (cost: Double, plan: String)] = [:]
    // Each suggestion's hypothetical index in the set: its oid, or why HypoPG could not create it.
    var created: [Result<String, DatabaseError>] = []
    do {
      _ = try connection.query("SELECT hypopg_reset()")
      for statement in served.joined() { plan(statement, into: &before) }
      for suggestion in suggestions {
        do throws(DatabaseError) { created.append(.success(try create(suggestion))) } catch {
          created.append(.failure(error))
        }
      }
      for statement in served.joined() { plan(statement, into: &together) }
    } catch {
      return suggestions.map { _ in .unchecked(reason: "\(error)") }
    }
    return suggestions.indices.map { index -> Outcome in
      let oid: String
      switch created[index] {
      case .success(let made): oid = made
      case .failure(let error): return .unchecked(reason: "HypoPG could not create it: \(error)")
      }
      var alone: [Key: (cost: Double, plan: String)] = [:]
      var aloneOid = ""
      var indexBytes: Int64?
      do {
        _ = try connection.query("SELECT hypopg_reset()")
        aloneOid = try create(suggestions[index])
        indexBytes = try connection.query("SELECT hypopg_relation_size(\(aloneOid)::oid)").first?.first?.flatMap {
          Int64($0)
        }
        for statement in served[index] { plan(statement, into: &alone) }
      } catch {
        return .unchecked(reason: "\(error)")
      }
      var plans: [IndexSuggestion.Validation.Plan] = []
      for statement in served[index] {
        let key = Key(fingerprint: statement.fingerprint, parameters: statement.parameters)
        guard let b = before[key], let t = together[key], let a = alone[key] else { continue }
        plans.append(
          IndexSuggestion.Validation.Plan(
            fingerprint: statement.fingerprint, parameters: statement.parameters, costBefore: b.cost,
            costAfter: t.cost, costAlone: a.cost, usesIndex: t.plan.contains("<\(oid)>"),
            usesIndexAlone: a.plan.contains("<\(aloneOid)>"),
            generic: statement.parameters == .generic, weight: statement.weight))
      }
      guard !plans.isEmpty else {
        let reasons = served[index].compactMap {
          failures[Key(fingerprint: $0.fingerprint, parameters: $0.parameters)]
        }
        return .unchecked(
          reason: reasons.isEmpty ? "no example statement to explain" : reasons.joined(separator: "; "))
      }
      var validation = IndexSuggestion.Validation(plans: plans, indexBytes: indexBytes, tableRows: nil)
      validation.rejection = Self.rejection(of: validation)
      return .checked(validation, keep: validation.rejection == nil)
    }
  }

  /// Why a checked suggestion is rejected, or nil to keep it.
  static func rejection(of validation: IndexSuggestion.Validation) -> String? {
    let (before, after, _) = validation.weightedCosts
    guard validation.plans.contains(where: \.usesIndex) else {
      return validation.plans.contains(where: \.usesIndexAlone)
        ? "with the other suggestions created, the planner uses them instead"
        : "the planner does not use it: a scan stays cheaper"
    }
    guard before > 0, after <= before * (1 - requiredCostCut) else {
      return "the planner's cost falls by only \(percent(1 - after / max(before, 1e-9)))%, less than half"
    }
    return nil
  }

  static func percent(_ share: Double) -> Int { Int((max(0, share) * 100).rounded()) }

  /// Creates a suggestion as a hypothetical index; its oid.
  func create(_ suggestion: IndexSuggestion) throws(DatabaseError) -> String {
    let created = try connection.query(
      "SELECT indexrelid FROM hypopg_create_index(\(PostgresConnection.literal(suggestion.hypotheticalDDL)))")
    guard let oid = created.first?.first ?? nil else { throw DatabaseError(message: "HypoPG created no index") }
    return oid
  }

  /// The planner's total cost for a statement. Statements with `$n` parameters are prepared anew each time
  /// (a cached plan would not see a new hypothetical index) and planned with the logged values bound (a custom
  /// plan), or PostgreSQL's generic plan without them.
  func explain(_ sql: String, values: [String?]? = nil) throws(DatabaseError) -> (cost: Double, plan: String) {
    var text = sql.trimmingCharacters(in: .whitespacesAndNewlines)
    while text.hasSuffix(";") { text = String(text.dropLast()).trimmingCharacters(in: .whitespacesAndNewlines) }
    let parameters = Self.parameterCount(text)
    let rows: [[String?]]
    if parameters > 0 {
      _ = try? connection.query("DEALLOCATE pgsift_check")
      try connection.query("PREPARE pgsift_check AS " + text)
      defer { _ = try? connection.query("DEALLOCATE pgsift_check") }
      let bound: [String?] = values ?? Array(repeating: nil, count: parameters)
      try connection.query("SET plan_cache_mode = " + (values == nil ? "force_generic_plan" : "force_custom_plan"))
      defer { _ = try? connection.query("RESET plan_cache_mode") }
      let arguments = bound.map { $0.map(PostgresConnection.literal) ?? "NULL" }.joined(separator: ", ")
      rows = try connection.query("EXPLAIN (FORMAT JSON) EXECUTE pgsift_check(\(arguments))")
    } else {
      rows = try connection.query("EXPLAIN (FORMAT JSON) " + text)
    }
    guard let json = rows.first?.first ?? nil,
      let parsed = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]],
      let plan = parsed.first?["Plan"] as? [String: Any], let cost = plan["Total Cost"] as? Double
    else { throw DatabaseError(message: "EXPLAIN gave no plan") }
    return (cost, json)
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
  /// Checks the suggestions as a set: keeps those the planner uses and that cut their queries' cost by
  /// `requiredCostCut`, moves the others to `rejected` with the reason, and leaves the ones it could not check as
  /// heuristic, saying why.
  public func check(_ advice: inout IndexAdvice, queries: [QueryStats], catalog: SchemaCatalog) {
    var statements: [Fingerprint: [Statement]] = [:]
    let wanted = Set(advice.suggestions.flatMap { $0.served.prefix(Self.maxPlansPerSuggestion).map(\.fingerprint) })
    for query in queries where wanted.contains(query.fingerprint) {
      statements[query.fingerprint] = Self.statements(for: query)
    }
    var kept: [IndexSuggestion] = []
    let outcomes = validate(advice.suggestions, statements: statements)
    for (var suggestion, outcome) in zip(advice.suggestions, outcomes) {
      switch outcome {
      case .checked(var validation, let keep):
        validation.tableRows = catalog.rows(of: suggestion.table)
        let (before, after, alone) = validation.weightedCosts
        if keep && before > 0 && alone > before * (1 - Self.requiredCostCut) {
          suggestion.reasons.append(
            "create it with the others: alone it cuts the planner's cost by \(Self.percent(1 - alone / before))%, "
              + "with them by \(Self.percent(1 - after / before))%")
        }
        if let rejection = validation.rejection { suggestion.reasons.append("rejected: " + rejection) }
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
