// Walks a statement's parse tree and records, per table, what an index could serve: equality and range
// predicates, join keys and sort order (resolving aliases, joins, subqueries and CTEs), the predicates no
// btree can serve, and the writes.

/// Names in scope in one SELECT level: table aliases, and names that are not tables (CTEs, subqueries).
final class Scope {
  struct Entry {
    var alias: String
    /// nil for a CTE, a subquery or a function in FROM.
    var table: TableName?
    /// Index of the table's access in the facts.
    var access: Int?
  }

  let parent: Scope?
  var entries: [Entry] = []
  var cteNames: Set<String> = []

  init(parent: Scope?) { self.parent = parent }

  func isCTE(_ name: String) -> Bool { cteNames.contains(name) || (parent?.isCTE(name) ?? false) }
}

public struct QueryAnalyzer {
  /// Known tables and columns, used to place unqualified columns when a query joins several tables.
  let catalog: SchemaCatalog?
  private(set) var facts = StatementFacts()

  public init(catalog: SchemaCatalog? = nil) {
    self.catalog = catalog
  }

  /// Facts of every statement in `sql`, or nil when libpg_query cannot parse it.
  public static func analyze(_ sql: String, catalog: SchemaCatalog? = nil) -> StatementFacts? {
    guard let statements = ParseTree.statements(sql) else { return nil }
    var analyzer = QueryAnalyzer(catalog: catalog)
    for statement in statements { analyzer.statement(statement, parent: nil) }
    return analyzer.facts
  }

  // MARK: - Statements

  mutating func statement(_ node: TreeNode, parent: Scope?) {
    switch node.type {
    case "SelectStmt": select(node, parent: parent)
    case "InsertStmt": insert(node, parent: parent)
    case "UpdateStmt": update(node, parent: parent)
    case "DeleteStmt": delete(node, parent: parent)
    case "CopyStmt":
      if let relation = TreeNode(type: "RangeVar", unwrapped: node["relation"]), node.bool("is_from") {
        facts.writes.append(TableWrite(table: tableName(relation), kind: .copy, setColumns: []))
      }
      if let query = node.node("query") { statement(query, parent: parent) }
    case "ExplainStmt":
      if let query = node.node("query") { statement(query, parent: parent) }
    case "DeclareCursorStmt", "CreateTableAsStmt":
      if let query = node.node("query") { statement(query, parent: parent) }
    default:
      break
    }
  }

  mutating func select(_ node: TreeNode, parent: Scope?) {
    if let op = node.string("op"), op != "SETOP_NONE" {
      if let left = node.node("larg") { select(left, parent: parent) }
      if let right = node.node("rarg") { select(right, parent: parent) }
      return
    }
    let scope = Scope(parent: parent)
    withClause(node, scope: scope)
    for item in node.nodes("fromClause") { addFrom(item, scope: scope) }
    if let condition = node.node("whereClause") { predicate(condition, scope: scope) }
    sort(node.nodes("sortClause"), scope: scope)
    if node.node("limitCount") != nil {
      for entry in scope.entries { if let access = entry.access { facts.accesses[access].limited = true } }
    }
    for target in node.nodes("targetList") { subqueries(in: target, scope: scope) }
    if let having = node.node("havingClause") { subqueries(in: having, scope: scope) }
  }

  mutating func withClause(_ node: TreeNode, scope: Scope) {
    guard let with = TreeNode(type: "WithClause", unwrapped: node["withClause"]) else { return }
    for cte in with.nodes("ctes") where cte.type == "CommonTableExpr" {
      if let name = cte.string("ctename") { scope.cteNames.insert(name) }
      if let query = cte.node("ctequery") { statement(query, parent: scope.parent) }
    }
  }

  mutating func insert(_ node: TreeNode, parent: Scope?) {
    guard let relation = TreeNode(type: "RangeVar", unwrapped: node["relation"]) else { return }
    let table = tableName(relation)
    facts.writes.append(TableWrite(table: table, kind: .insert, setColumns: []))
    let scope = Scope(parent: parent)
    withClause(node, scope: scope)
    if let select = node.node("selectStmt"), select["valuesLists"] == nil {
      statement(select, parent: scope)
    }
    if let conflict = TreeNode(type: "OnConflictClause", unwrapped: node["onConflictClause"]),
      conflict.string("action") == "ONCONFLICT_UPDATE"
    {
      let columns = conflict.nodes("targetList").compactMap { $0.string("name") }
      facts.writes.append(TableWrite(table: table, kind: .update, setColumns: columns))
    }
  }

  mutating func update(_ node: TreeNode, parent: Scope?) {
    guard let relation = TreeNode(type: "RangeVar", unwrapped: node["relation"]) else { return }
    let columns = node.nodes("targetList").compactMap { $0.string("name") }
    facts.writes.append(TableWrite(table: tableName(relation), kind: .update, setColumns: columns))
    let scope = Scope(parent: parent)
    withClause(node, scope: scope)
    addTable(relation, scope: scope, isRead: false)
    for item in node.nodes("fromClause") { addFrom(item, scope: scope) }
    if let condition = node.node("whereClause") { predicate(condition, scope: scope) }
  }

  mutating func delete(_ node: TreeNode, parent: Scope?) {
    guard let relation = TreeNode(type: "RangeVar", unwrapped: node["relation"]) else { return }
    facts.writes.append(TableWrite(table: tableName(relation), kind: .delete, setColumns: []))
    let scope = Scope(parent: parent)
    withClause(node, scope: scope)
    addTable(relation, scope: scope, isRead: false)
    for item in node.nodes("usingClause") { addFrom(item, scope: scope) }
    if let condition = node.node("whereClause") { predicate(condition, scope: scope) }
  }

  // MARK: - FROM

  func tableName(_ rangeVar: TreeNode) -> TableName {
    TableName(schema: rangeVar.string("schemaname"), name: rangeVar.string("relname") ?? "?")
  }

  mutating func addTable(_ rangeVar: TreeNode, scope: Scope, isRead: Bool) {
    let table = tableName(rangeVar)
    let alias = TreeNode(type: "Alias", unwrapped: rangeVar["alias"])?.string("aliasname") ?? table.name
    if table.schema == nil && scope.isCTE(table.name) {
      scope.entries.append(Scope.Entry(alias: alias, table: nil, access: nil))
      return
    }
    facts.accesses.append(TableAccess(table: table, isRead: isRead))
    scope.entries.append(Scope.Entry(alias: alias, table: table, access: facts.accesses.count - 1))
  }

  mutating func addFrom(_ item: TreeNode, scope: Scope) {
    switch item.type {
    case "RangeVar":
      addTable(item, scope: scope, isRead: true)
    case "JoinExpr":
      if let left = item.node("larg") { addFrom(left, scope: scope) }
      if let right = item.node("rarg") { addFrom(right, scope: scope) }
      if let quals = item.node("quals") { predicate(quals, scope: scope) }
    case "RangeSubselect":
      if let subquery = item.node("subquery") { statement(subquery, parent: scope) }
      let alias = TreeNode(type: "Alias", unwrapped: item["alias"])?.string("aliasname") ?? ""
      scope.entries.append(Scope.Entry(alias: alias, table: nil, access: nil))
    case "RangeFunction":
      let alias = TreeNode(type: "Alias", unwrapped: item["alias"])?.string("aliasname") ?? ""
      scope.entries.append(Scope.Entry(alias: alias, table: nil, access: nil))
    default:
      break
    }
  }

  // MARK: - Columns and values

  /// A column reference resolved to its table's access in this scope or an outer one.
  struct ResolvedColumn {
    var access: Int
    var column: String
    /// Whether it belongs to an enclosing query (a correlated reference).
    var outer: Bool
  }

  func resolve(_ node: TreeNode, scope: Scope) -> ResolvedColumn? {
    guard node.type == "ColumnRef" else { return nil }
    let fields = node.names("fields")
    guard let column = fields.last, fields.count == node.nodes("fields").count else { return nil }  // not `t.*`
    var current: Scope? = scope
    var outer = false
    while let level = current {
      if fields.count >= 2 {
        let qualifier = fields[fields.count - 2]
        if let entry = level.entries.first(where: { $0.alias == qualifier }) {
          return entry.access.map { ResolvedColumn(access: $0, column: column, outer: outer) }
        }
      } else {
        let tables = level.entries.filter { $0.access != nil }
        if tables.count == 1 && level.entries.count == 1, let access = tables[0].access {
          return ResolvedColumn(access: access, column: column, outer: outer)
        }
        // Several tables: the catalog says which one has the column.
        if let catalog {
          let owners = tables.filter { catalog.hasColumn(column, in: facts.accesses[$0.access!].table) }
          if owners.count == 1 { return ResolvedColumn(access: owners[0].access!, column: column, outer: outer) }
        }
        if !level.entries.isEmpty { return nil }
      }
      current = level.parent
      outer = true
    }
    return nil
  }

  /// What a non-column side of a comparison is, or nil when it involves a column.
  func value(_ node: TreeNode) -> PredicateValue? {
    switch node.type {
    case "A_Const": return .constant(Self.constantText(node))
    case "ParamRef": return .parameter
    case "TypeCast":
      guard let argument = node.node("arg") else { return .expression }
      return value(argument)
    case "ColumnRef": return nil
    case "SubLink": return .expression
    default:
      return Self.mentionsColumn(node) ? nil : .expression
    }
  }

  static func constantText(_ node: TreeNode) -> String {
    if node.bool("isnull") { return "NULL" }
    if let inner = node["ival"] as? [String: Any] { return String(inner["ival"] as? Int ?? 0) }
    if let inner = node["fval"] as? [String: Any] { return inner["fval"] as? String ?? "0" }
    if let inner = node["boolval"] as? [String: Any] { return (inner["boolval"] as? Bool ?? false) ? "true" : "false" }
    if let inner = node["sval"] as? [String: Any] {
      let text = inner["sval"] as? String ?? ""
      return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
    if let inner = node["bsval"] as? [String: Any] { return "B'\(inner["bsval"] as? String ?? "")'" }
    return "?"
  }

  /// Whether an expression refers to any column (outside subqueries, which have their own scope).
  static func mentionsColumn(_ node: TreeNode) -> Bool {
    if node.type == "ColumnRef" { return true }
    if node.type == "SubLink" { return false }
    return node.fields.values.contains { mentionsColumn($0) }
  }

  static func mentionsColumn(_ value: Any?) -> Bool {
    if let node = TreeNode(value) {
      if node.type == "ColumnRef" { return true }
      if node.type == "SubLink" { return false }
      return node.fields.values.contains { mentionsColumn($0) }
    }
    if let array = value as? [Any] { return array.contains { mentionsColumn($0) } }
    if let dictionary = value as? [String: Any] { return dictionary.values.contains { mentionsColumn($0) } }
    return false
  }

  /// The first column an expression mentions, for naming an unusable predicate.
  func firstColumn(_ value: Any?, scope: Scope) -> ResolvedColumn? {
    if let node = TreeNode(value) {
      if let resolved = resolve(node, scope: scope) { return resolved }
      if node.type == "SubLink" { return nil }
      for field in node.fields.values { if let found = firstColumn(field, scope: scope) { return found } }
      return nil
    }
    if let array = value as? [Any] {
      for item in array { if let found = firstColumn(item, scope: scope) { return found } }
    }
    if let dictionary = value as? [String: Any] {
      for item in dictionary.values { if let found = firstColumn(item, scope: scope) { return found } }
    }
    return nil
  }

  // MARK: - Predicates

  mutating func predicate(_ node: TreeNode, scope: Scope) {
    switch node.type {
    case "BoolExpr":
      switch node.string("boolop") {
      case "AND_EXPR"?: for argument in node.nodes("args") { predicate(argument, scope: scope) }
      case "OR_EXPR"?: disjunction(node, scope: scope)
      default: subqueries(in: node, scope: scope)
      }
    case "A_Expr":
      comparison(node, scope: scope)
    case "NullTest":
      if node.string("nulltesttype") == "IS_NULL", let argument = node.node("arg"),
        let column = resolve(argument, scope: scope), !column.outer
      {
        addEquality(column, .constant("NULL"))
      }
    case "BooleanTest":
      if let argument = node.node("arg"), let column = resolve(argument, scope: scope), !column.outer,
        node.string("booltesttype") == "IS_TRUE" || node.string("booltesttype") == "IS_FALSE"
      {
        addEquality(column, .constant(node.string("booltesttype") == "IS_TRUE" ? "true" : "false"))
      }
    case "ColumnRef":
      if let column = resolve(node, scope: scope), !column.outer { addEquality(column, .constant("true")) }
    case "SubLink":
      sublink(node, scope: scope)
    default:
      subqueries(in: node, scope: scope)
    }
  }

  /// `a = 1 OR a = 2` is an IN list; other ORs are left alone (a btree serves each branch only with BitmapOr).
  mutating func disjunction(_ node: TreeNode, scope: Scope) {
    var column: ResolvedColumn?
    for argument in node.nodes("args") {
      guard argument.type == "A_Expr", argument.string("kind") == "AEXPR_OP" || argument.string("kind") == "AEXPR_IN",
        argument.names("name").last == "=", let left = argument.node("lexpr"),
        let resolved = resolve(left, scope: scope), argument.node("rexpr").flatMap(value) != nil,
        column == nil || (column!.access == resolved.access && column!.column == resolved.column)
      else {
        subqueries(in: node, scope: scope)
        return
      }
      column = resolved
    }
    if let column, !column.outer { addEquality(column, .expression) }
  }

  mutating func comparison(_ node: TreeNode, scope: Scope) {
    let kind = node.string("kind") ?? ""
    let op = node.names("name").last ?? ""
    let left = node.node("lexpr")
    let right = node.node("rexpr")
    let leftColumn = left.flatMap { resolve($0, scope: scope) }
    let rightColumn = right.flatMap { resolve($0, scope: scope) }
    switch kind {
    case "AEXPR_OP":
      if let leftColumn, let rightColumn {
        if op == "=" && leftColumn.access != rightColumn.access {
          addJoinKey(leftColumn)
          addJoinKey(rightColumn)
        }
        return
      }
      let column: ResolvedColumn?
      let other: TreeNode?
      var flipped = op
      if let leftColumn {
        (column, other) = (leftColumn, right)
      } else if let rightColumn {
        (column, other) = (rightColumn, left)
        flipped = ["<": ">", ">": "<", "<=": ">=", ">=": "<="][op] ?? op
      } else {
        (column, other) = (nil, nil)
      }
      guard let column, let other, let otherValue = value(other) else {
        // A function or expression around the column hides it from a plain index.
        if let left, let right, Self.mentionsColumn(left) != Self.mentionsColumn(right),
          let mentioned = firstColumn(Self.mentionsColumn(left) ? left.fields : right.fields, scope: scope),
          !mentioned.outer
        {
          unusable(
            mentioned,
            "an expression on the column (\(Self.describe(Self.mentionsColumn(left) ? left : right))) \(op) …: a plain index cannot serve it; an expression index can"
          )
        }
        subqueries(in: node, scope: scope)
        return
      }
      if column.outer { return }
      switch flipped {
      case "=": addEquality(column, otherValue)
      case "<", ">", "<=", ">=": addRange(column)
      case "<>", "!=": unusable(column, "\(column.column) \(op) …: a not-equal test cannot use a btree index")
      case "~", "~*", "!~", "!~*":
        unusable(column, "\(column.column) \(op) …: a regular expression needs a trigram (pg_trgm GIN) index")
      default:
        unusable(column, "\(column.column) \(op) …: this operator needs a GIN or GiST index, not a btree")
      }
      if case .expression = otherValue { subqueries(in: other, scope: scope) }
    case "AEXPR_IN":
      guard let leftColumn, !leftColumn.outer else { return }
      if op == "=" {
        addEquality(leftColumn, .expression)
      } else {
        unusable(leftColumn, "\(leftColumn.column) NOT IN (…): cannot use a btree index")
      }
    case "AEXPR_OP_ANY":
      if let leftColumn, !leftColumn.outer, op == "=" { addEquality(leftColumn, .expression) }
    case "AEXPR_LIKE":
      guard let leftColumn, !leftColumn.outer else { return }
      guard op == "~~" else {
        unusable(leftColumn, "\(leftColumn.column) NOT LIKE …: cannot use a btree index")
        return
      }
      if let right, right.type == "A_Const", case .constant(let pattern) = value(right) {
        let body = pattern.dropFirst()
        if body.first == "%" || body.first == "_" {
          unusable(
            leftColumn, "\(leftColumn.column) LIKE \(pattern): a leading wildcard needs a trigram (pg_trgm GIN) index")
        } else {
          addRange(leftColumn)
          facts.accesses[leftColumn.access].likePrefixes.insert(leftColumn.column)
        }
      } else {
        unusable(
          leftColumn,
          "\(leftColumn.column) LIKE with a pattern given at run time: a btree serves it only if the pattern never starts with a wildcard"
        )
      }
    case "AEXPR_ILIKE":
      if let leftColumn, !leftColumn.outer {
        unusable(
          leftColumn,
          "\(leftColumn.column) ILIKE …: needs a trigram (pg_trgm GIN) index or an index on lower(\(leftColumn.column))"
        )
      }
    case "AEXPR_BETWEEN", "AEXPR_BETWEEN_SYM":
      if let leftColumn, !leftColumn.outer { addRange(leftColumn) }
    case "AEXPR_NOT_BETWEEN", "AEXPR_NOT_BETWEEN_SYM":
      if let leftColumn, !leftColumn.outer {
        unusable(leftColumn, "\(leftColumn.column) NOT BETWEEN …: cannot use a btree index")
      }
    default:
      break
    }
  }

  static func describe(_ node: TreeNode) -> String {
    switch node.type {
    case "FuncCall": return (node.names("funcname").last ?? "function") + "()"
    case "TypeCast": return "a cast"
    default: return "an expression"
    }
  }

  mutating func sublink(_ node: TreeNode, scope: Scope) {
    // x IN (SELECT …) and EXISTS (SELECT … WHERE inner = outer) probe the inner table by its key.
    if let test = node.node("testexpr"), let column = resolve(test, scope: scope), !column.outer {
      addJoinKey(column)
    }
    if let subselect = node.node("subselect") { statement(subselect, parent: scope) }
  }

  /// Finds subqueries anywhere in an expression and analyzes them with this scope as their parent.
  mutating func subqueries(in value: Any?, scope: Scope) {
    if let node = TreeNode(value) {
      if node.type == "SubLink" {
        if let subselect = node.node("subselect") { statement(subselect, parent: scope) }
        return
      }
      for field in node.fields.values { subqueries(in: field, scope: scope) }
    } else if let array = value as? [Any] {
      for item in array { subqueries(in: item, scope: scope) }
    } else if let dictionary = value as? [String: Any] {
      for item in dictionary.values { subqueries(in: item, scope: scope) }
    }
  }

  mutating func subqueries(in node: TreeNode, scope: Scope) {
    for field in node.fields.values { subqueries(in: field, scope: scope) }
  }

  mutating func sort(_ items: [TreeNode], scope: Scope) {
    var sorts: [TableAccess.SortColumn] = []
    var access: Int?
    for item in items where item.type == "SortBy" {
      guard let target = item.node("node"), let column = resolve(target, scope: scope), !column.outer,
        access == nil || access == column.access
      else { return }  // an expression, a position, or several tables: no single index gives this order
      access = column.access
      sorts.append(
        TableAccess.SortColumn(column: column.column, descending: item.string("sortby_dir") == "SORTBY_DESC"))
    }
    if let access { facts.accesses[access].sorts = sorts }
  }

  // MARK: - Recording

  mutating func addEquality(_ column: ResolvedColumn, _ value: PredicateValue) {
    let predicate = ColumnPredicate(column: column.column, value: value)
    if !facts.accesses[column.access].equalities.contains(where: { $0.column == column.column }) {
      facts.accesses[column.access].equalities.append(predicate)
    }
  }

  mutating func addRange(_ column: ResolvedColumn) {
    if !facts.accesses[column.access].ranges.contains(column.column) {
      facts.accesses[column.access].ranges.append(column.column)
    }
  }

  mutating func addJoinKey(_ column: ResolvedColumn) {
    if !facts.accesses[column.access].joinKeys.contains(column.column) {
      facts.accesses[column.access].joinKeys.append(column.column)
    }
  }

  mutating func unusable(_ column: ResolvedColumn, _ reason: String) {
    let table = facts.accesses[column.access].table
    facts.accesses[column.access].unusable.append(
      UnusablePredicate(table: table, column: column.column, reason: reason))
  }
}
