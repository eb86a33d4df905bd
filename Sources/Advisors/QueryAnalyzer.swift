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
  var facts = StatementFacts()

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
    facts.writes.append(
      TableWrite(table: table, kind: .insert, setColumns: [], insertedValues: insertedValues(node)))
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

  /// The values an INSERT gives the columns it names, row by row (see `TableWrite.insertedValues`).
  func insertedValues(_ node: TreeNode) -> [String: [PredicateValue?]]? {
    let columns = node.nodes("cols").compactMap { $0.string("name") }
    guard !columns.isEmpty, let select = node.node("selectStmt"), select.type == "SelectStmt" else { return nil }
    var rows: [[TreeNode]] = select.nodes("valuesLists").map { $0.nodes("items") }
    if rows.isEmpty {
      // INSERT … SELECT: the output of one plain SELECT (a UNION's rows are not told apart).
      guard (select.string("op") ?? "SETOP_NONE") == "SETOP_NONE" else { return [:] }
      rows = [select.nodes("targetList").compactMap { $0.node("val") }]
    }
    var values: [String: [PredicateValue?]] = [:]
    for row in rows {
      guard row.count == columns.count else { return nil }
      for (column, item) in zip(columns, row) { values[column, default: []].append(value(item)) }
    }
    return values
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
    case "A_Const": return .constant(Self.constantText(node), location: node.integer("location"))
    case "ParamRef": return .parameter(node.integer("number") ?? 0)
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
    func inner(_ key: String) -> TreeNode? { TreeNode(type: key, unwrapped: node[key]) }
    if let inner = inner("ival") { return String(inner.integer("ival") ?? 0) }
    if let inner = inner("fval") { return inner.string("fval") ?? "0" }
    if let inner = inner("boolval") { return inner.bool("boolval") ? "true" : "false" }
    if let inner = inner("sval") {
      let text = inner.string("sval") ?? ""
      return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
    if let inner = inner("bsval") { return "B'\(inner.string("bsval") ?? "")'" }
    return "?"
  }

  /// Whether an expression refers to any column (outside subqueries, which have their own scope).
  static func mentionsColumn(_ node: TreeNode) -> Bool {
    if node.type == "ColumnRef" { return true }
    if node.type == "SubLink" { return false }
    return node.fields.contains { mentionsColumn($0.value) }
  }

  static func mentionsColumn(_ value: TreeValue) -> Bool {
    if let node = TreeNode(value) { return mentionsColumn(node) }
    switch value {
    case .array(let items): return items.contains { mentionsColumn($0) }
    case .object(let members): return members.contains { mentionsColumn($0.value) }
    default: return false
    }
  }

  /// The first column an expression mentions, for naming an unusable predicate.
  /// Fields are searched in the order libpg_query writes them.
  func firstColumn(_ value: TreeValue, scope: Scope) -> ResolvedColumn? {
    if let node = TreeNode(value) {
      if let resolved = resolve(node, scope: scope) { return resolved }
      if node.type == "SubLink" { return nil }
      for field in node.fields { if let found = firstColumn(field.value, scope: scope) { return found } }
      return nil
    }
    switch value {
    case .array(let items):
      for item in items { if let found = firstColumn(item, scope: scope) { return found } }
    case .object(let members):
      for member in members { if let found = firstColumn(member.value, scope: scope) { return found } }
    default: break
    }
    return nil
  }
}
