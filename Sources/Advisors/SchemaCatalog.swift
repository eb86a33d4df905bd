// What is already in the database: tables with their column types, primary keys and indexes, read from
// `pg_dump --schema-only` output (--schema) and from DDL statements found in the log itself.
import Fingerprint
import Foundation
import LogInput

public struct SchemaCatalog: Sendable {
  public struct Column: Sendable, Hashable {
    public var name: String
    public var type: String
    public init(name: String, type: String) {
      self.name = name
      self.type = type
    }
  }

  public struct Table: Sendable {
    public var name: TableName
    public var columns: [Column]
    public init(name: TableName, columns: [Column]) {
      self.name = name
      self.columns = columns
    }
  }

  public struct Index: Sendable, Hashable {
    public var table: TableName
    public var name: String?
    /// Key columns in order; an expression is written `(expression)`.
    public var columns: [String]
    public var unique: Bool
    public var primary: Bool
    public var partial: Bool
    public init(table: TableName, name: String?, columns: [String], unique: Bool, primary: Bool, partial: Bool) {
      self.table = table
      self.name = name
      self.columns = columns
      self.unique = unique
      self.primary = primary
      self.partial = partial
    }
  }

  public private(set) var tables: [Table] = []
  public private(set) var indexes: [Index] = []
  /// Estimated rows per table, known only from a live database (`pg_class.reltuples`).
  public private(set) var rowEstimates: [String: Double] = [:]

  public init() {}

  public var isEmpty: Bool { tables.isEmpty && indexes.isEmpty }

  /// Reads a SQL script (pg_dump --schema-only, or plain DDL); returns statements it could not read.
  @discardableResult
  public mutating func load(script: String) -> Int {
    // psql meta-commands (\connect, \restrict ...) are not SQL.
    let sql = script.split(separator: "\n", omittingEmptySubsequences: false)
      .filter { !$0.hasPrefix("\\") }.joined(separator: "\n")
    if let statements = ParseTree.statements(sql) {
      for statement in statements { add(statement) }
      return 0
    }
    var unreadable = 0
    for piece in PgQuery.split(sql) {
      if let statements = ParseTree.statements(piece) {
        for statement in statements { add(statement) }
      } else {
        unreadable += 1
      }
    }
    return unreadable
  }

  /// Adds what one DDL statement creates; other statements are ignored.
  public mutating func add(ddl sql: String) {
    guard let statements = ParseTree.statements(sql) else { return }
    for statement in statements { add(statement) }
  }

  mutating func add(_ statement: TreeNode) {
    switch statement.type {
    case "CreateStmt":
      guard let relation = TreeNode(type: "RangeVar", unwrapped: statement["relation"]) else { return }
      let table = Self.tableName(relation)
      var columns: [Column] = []
      for element in statement.nodes("tableElts") {
        if element.type == "ColumnDef", let name = element.string("colname") {
          let typeName = TreeNode(type: "TypeName", unwrapped: element["typeName"])?.names("names").last ?? "?"
          columns.append(Column(name: name, type: typeName))
          for constraint in element.nodes("constraints") where constraint.type == "Constraint" {
            addConstraint(constraint, table: table, columns: [name])
          }
        } else if element.type == "Constraint" {
          addConstraint(element, table: table, columns: nil)
        }
      }
      tables.removeAll { $0.name.sameTable(as: table) && $0.name.schema == table.schema }
      tables.append(Table(name: table, columns: columns))
    case "IndexStmt":
      guard let relation = TreeNode(type: "RangeVar", unwrapped: statement["relation"]) else { return }
      let columns = statement.nodes("indexParams").map { element in
        element.string("name") ?? "(expression)"
      }
      indexes.append(
        Index(
          table: Self.tableName(relation), name: statement.string("idxname"), columns: columns,
          unique: statement.bool("unique"), primary: statement.bool("primary"),
          partial: statement["whereClause"] != nil))
    case "AlterTableStmt":
      guard let relation = TreeNode(type: "RangeVar", unwrapped: statement["relation"]) else { return }
      for command in statement.nodes("cmds") where command.type == "AlterTableCmd" {
        if command.string("subtype") == "AT_AddConstraint", let constraint = command.node("def") {
          addConstraint(constraint, table: Self.tableName(relation), columns: nil)
        }
      }
    default:
      break
    }
  }

  mutating func addConstraint(_ constraint: TreeNode, table: TableName, columns: [String]?) {
    let kind = constraint.string("contype")
    guard kind == "CONSTR_PRIMARY" || kind == "CONSTR_UNIQUE" else { return }
    let keys = columns ?? constraint.names("keys")
    guard !keys.isEmpty else { return }
    indexes.append(
      Index(
        table: table, name: constraint.string("conname"), columns: keys, unique: true,
        primary: kind == "CONSTR_PRIMARY", partial: false))
  }

  static func tableName(_ rangeVar: TreeNode) -> TableName {
    TableName(schema: rangeVar.string("schemaname"), name: rangeVar.string("relname") ?? "?")
  }

  /// Column statistics from a live database (`pg_stats`): distinct values and average width, by `table.column`.
  public private(set) var columnStatistics: [String: (nDistinct: Double, averageWidth: Int)] = [:]

  public mutating func addColumnStatistics(table: String, column: String, nDistinct: Double, averageWidth: Int) {
    columnStatistics[table + "." + column] = (nDistinct, averageWidth)
  }

  /// Distinct values of a column: `pg_stats.n_distinct`, which is a fraction of the rows when negative.
  public func distinctValues(_ column: String, in table: TableName) -> Double? {
    guard let stats = columnStatistics[table.name + "." + column] else { return nil }
    if stats.nDistinct >= 0 { return stats.nDistinct }
    return rows(of: table).map { -stats.nDistinct * $0 }
  }

  /// Bytes a column's values take on average, measured by ANALYZE, else by its type.
  public func width(of column: String, in table: TableName, type: String) -> Int {
    columnStatistics[table.name + "." + column]?.averageWidth ?? Self.width(ofType: type).bytes
  }

  /// Adds what a live database reports.
  public mutating func addTable(_ table: Table, rows: Double?) {
    tables.removeAll { $0.name.sameTable(as: table.name) && $0.name.schema == table.name.schema }
    tables.append(table)
    if let rows { rowEstimates[table.name.name] = rows }
  }

  public mutating func addIndex(_ index: Index) {
    if !indexes.contains(index) { indexes.append(index) }
  }

  public func rows(of table: TableName) -> Double? { rowEstimates[table.name] }

  /// Adds everything another catalog knows (a live database on top of a schema file).
  public mutating func merge(_ other: SchemaCatalog) {
    for table in other.tables { addTable(table, rows: other.rowEstimates[table.name.name]) }
    for index in other.indexes { addIndex(index) }
    columnStatistics.merge(other.columnStatistics) { _, new in new }
  }

  // MARK: - Questions

  public func table(_ name: TableName) -> Table? { tables.first { $0.name.sameTable(as: name) } }

  public func hasColumn(_ column: String, in table: TableName) -> Bool {
    self.table(table)?.columns.contains { $0.name == column } ?? false
  }

  public func indexes(on table: TableName) -> [Index] { indexes.filter { $0.table.sameTable(as: table) } }

  /// Bytes a value of the type takes on disk; text-like and JSON types are a typical width, not a fact.
  public static func width(ofType type: String) -> (bytes: Int, exact: Bool) {
    switch type.lowercased() {
    case "bool", "boolean": (1, true)
    case "int2", "smallint", "smallserial": (2, true)
    case "int4", "int", "integer", "serial", "date", "float4", "real", "oid": (4, true)
    case "int8", "bigint", "bigserial", "float8", "timestamp", "timestamptz", "time", "money": (8, true)
    case "uuid", "interval": (16, true)
    case "numeric", "decimal": (10, false)
    case "jsonb", "json": (100, false)
    default: (24, false)
    }
  }
}

extension SchemaCatalog {
  /// The catalog of the --schema files (`pg_dump --schema-only`); a file that cannot be read is an input problem.
  public init(files paths: [String], diagnostics: inout Diagnostics) {
    self.init()
    for path in paths {
      guard let data = FileManager.default.contents(atPath: path) else {
        diagnostics.report(.unreadableFile, at: InputLocation(file: path), "cannot read the schema file")
        continue
      }
      let unreadable = load(script: String(decoding: data, as: UTF8.self))
      if unreadable > 0 {
        diagnostics.report(
          .notice, at: InputLocation(file: path), "\(unreadable) statements of the schema could not be parsed; skipped")
      }
    }
  }
}
