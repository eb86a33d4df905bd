// What one statement does to each table, read from its parse tree: the predicates and sorts an index could
// serve, the ones no btree can, and the writes.

/// A table as a statement names it.
public struct TableName: Sendable, Hashable, Comparable, CustomStringConvertible {
  public var schema: String?
  public var name: String

  public init(schema: String?, name: String) {
    self.schema = schema
    self.name = name
  }

  public var description: String { schema.map { "\($0).\(name)" } ?? name }

  public static func < (a: TableName, b: TableName) -> Bool { a.description < b.description }

  /// Whether two names can be the same table (an unqualified name matches any schema).
  func sameTable(as other: TableName) -> Bool {
    name == other.name && (schema == nil || other.schema == nil || schema == other.schema)
  }
}

/// What a column is compared with.
public enum PredicateValue: Sendable, Hashable {
  /// A literal, as written (`'pending'`, `42`, `NULL`), and where it starts in the statement (a byte offset),
  /// when the parser says.
  case constant(String, location: Int? = nil)
  /// A bind parameter (`$1`), by its number.
  case parameter(Int)
  /// Anything else that does not involve the table's columns (`now() - interval '2 hours'`, a subquery).
  case expression
}

public struct ColumnPredicate: Sendable, Hashable {
  public var column: String
  public var value: PredicateValue
}

/// A predicate on a column that no btree index can serve as written.
public struct UnusablePredicate: Sendable, Hashable {
  public var table: TableName
  public var column: String?
  public var reason: String
}

/// One table's part in a statement.
public struct TableAccess: Sendable {
  public var table: TableName
  /// Whether the statement reads the table (SELECT, a subquery); false for the row lookup of UPDATE/DELETE.
  public var isRead: Bool
  /// `=`, `IN`, `= ANY`, `IS NULL`, a boolean column.
  public var equalities: [ColumnPredicate] = []
  /// `<`, `>`, `BETWEEN`, `LIKE 'prefix%'`.
  public var ranges: [String] = []
  /// Range columns that come from `LIKE 'prefix%'` (the index needs `text_pattern_ops` unless the collation is C).
  public var likePrefixes: Set<String> = []
  public var sorts: [SortColumn] = []
  /// Columns compared with another table's column (join keys, correlated subqueries).
  public var joinKeys: [String] = []
  public var unusable: [UnusablePredicate] = []
  /// The statement has a LIMIT (so an index in sort order can stop early).
  public var limited = false
  /// Functions or casts of one column the statement compares (`lower(email) = …`): an expression index on the
  /// same expression serves them.
  public var expressions: [IndexExpression] = []

  /// ORs of equalities on different columns (`email = … OR phone = …`): an index on each serves them together.
  public var orColumns: [[String]] = []
  /// Operators a GIN index serves on a column (`attrs @> '{…}'`, `tags && ARRAY[…]`, `attrs ? 'key'`) or on an
  /// expression of one (`to_tsvector('english', body) @@ …`).
  public var ginPredicates: [GinPredicate] = []

  public struct GinPredicate: Sendable, Hashable {
    /// What the operand is, as far as the statement tells (the schema, when known, decides).
    public enum Operand: String, Sendable, Hashable {
      case json, array, textSearch, unknown
    }
    /// The column, or the expression's SQL.
    public var key: String
    /// For an expression, the column it reads.
    public var expressionOf: String?
    public var op: String
    public var operand: Operand

    public init(key: String, expressionOf: String?, op: String, operand: Operand) {
      self.key = key
      self.expressionOf = expressionOf
      self.op = op
      self.operand = operand
    }
  }

  /// An expression of one column, as an index would hold it.
  public struct IndexExpression: Sendable, Hashable {
    /// The expression's SQL, rebuilt from the parse tree without table names (`lower(email)`).
    public var sql: String
    /// The column it reads.
    public var column: String
    /// Compared with `=` (else with a range operator).
    public var isEquality: Bool

    public init(sql: String, column: String, isEquality: Bool) {
      self.sql = sql
      self.column = column
      self.isEquality = isEquality
    }
  }

  public struct SortColumn: Sendable, Hashable {
    public var column: String
    public var descending: Bool
    public init(column: String, descending: Bool) {
      self.column = column
      self.descending = descending
    }
  }
}

public enum WriteKind: String, Sendable, Codable, CaseIterable {
  case insert, update, delete, copy
}

public struct TableWrite: Sendable {
  public var table: TableName
  public var kind: WriteKind
  /// Columns an UPDATE (or ON CONFLICT DO UPDATE) sets.
  public var setColumns: [String]
  /// What an INSERT puts in each column it names: a value per row of its VALUES lists, or the SELECT's output
  /// (nil where it is another column or not told); nil when the INSERT names no columns. A column it does not name
  /// gets its default.
  public var insertedValues: [String: [PredicateValue?]]? = nil
}

public struct StatementFacts: Sendable {
  public var accesses: [TableAccess] = []
  public var writes: [TableWrite] = []
}
