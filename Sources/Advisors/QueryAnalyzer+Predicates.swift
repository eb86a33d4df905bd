// Predicates of WHERE and JOIN ... ON clauses: what an index can serve, what it cannot, and join keys.

extension QueryAnalyzer {
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

  /// `a = 1 OR a = 2` is an IN list; `a = 1 OR b = 2` on one table is served by an index on each column,
  /// combined by a BitmapOr; other ORs are left alone.
  mutating func disjunction(_ node: TreeNode, scope: Scope) {
    var columns: [ResolvedColumn] = []
    for argument in node.nodes("args") {
      guard argument.type == "A_Expr", argument.string("kind") == "AEXPR_OP" || argument.string("kind") == "AEXPR_IN",
        argument.names("name").last == "=", let left = argument.node("lexpr"),
        let resolved = resolve(left, scope: scope), argument.node("rexpr").flatMap(value) != nil,
        columns.isEmpty || columns[0].access == resolved.access, !resolved.outer
      else {
        subqueries(in: node, scope: scope)
        return
      }
      if !columns.contains(where: { $0.column == resolved.column }) { columns.append(resolved) }
    }
    if columns.count == 1 {
      addEquality(columns[0], .expression)
    } else if columns.count > 1 && columns.count <= 3 {
      facts.accesses[columns[0].access].orColumns.append(columns.map(\.column))
    }
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
        // A function or expression around the column hides it from a plain index; a function or cast of one
        // column compared with a value is served by an index on the same expression.
        if let left, let right, Self.mentionsColumn(left) != Self.mentionsColumn(right),
          let mentioned = firstColumn(Self.mentionsColumn(left) ? left.object : right.object, scope: scope),
          !mentioned.outer
        {
          let expression = Self.mentionsColumn(left) ? left : right
          let compared = Self.mentionsColumn(left) ? right : left
          // A text search on an expression (`to_tsvector('english', body) @@ …`): a GIN index on it.
          if op == "@@", value(compared) != nil, let sql = Self.deparse(expression, column: mentioned.column),
            expression.type == "FuncCall"
          {
            addGin(
              mentioned,
              TableAccess.GinPredicate(key: sql, expressionOf: mentioned.column, op: op, operand: .textSearch))
            return
          }
          if ["=", "<", ">", "<=", ">="].contains(op), value(compared) != nil,
            let sql = Self.deparse(expression, column: mentioned.column), sql != mentioned.column
          {
            addExpression(
              mentioned, TableAccess.IndexExpression(sql: sql, column: mentioned.column, isEquality: op == "="))
            if case .expression? = value(compared) { subqueries(in: compared, scope: scope) }
            return
          }
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
      case "@>", "<@", "&&", "?", "?|", "?&", "@?", "@@":
        let operand = Self.operand(other)
        addGin(column, TableAccess.GinPredicate(key: column.column, expressionOf: nil, op: flipped, operand: operand))
        if operand == .unknown && ["@>", "<@", "@@"].contains(op) {
          // Without the schema nothing tells a jsonb column from an array or a tsvector.
          unusable(
            column,
            "\(column.column) \(op) …: a GIN index serves it; --schema tells which kind (jsonb, array, tsvector)")
        }
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
      if let right, right.type == "A_Const", case .constant(let pattern, _) = value(right) {
        let body = pattern.dropFirst()
        if body.first == "%" || body.first == "_" {
          // The pattern itself is a value from the log: named by its first character only, so a report (redacted
          // or not) holds no literal of it.
          unusable(
            leftColumn,
            "\(leftColumn.column) LIKE '\(body.first!)…': a leading wildcard needs a trigram (pg_trgm GIN) index")
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

  /// The SQL of a function or cast of `column` and constants, without table names, as an expression index
  /// holds it (`lower(email)`, `date_trunc('day', created_at)`, `(created_at)::date`); nil for anything else.
  static func deparse(_ node: TreeNode, column: String) -> String? {
    switch node.type {
    case "ColumnRef":
      guard let name = node.names("fields").last, name == column else { return nil }
      return SQLText.identifier(name)
    case "A_Const": return constantText(node)
    case "FuncCall":
      let name = node.names("funcname")
      guard !name.isEmpty, !node.bool("agg_star"), !node.bool("agg_distinct"), node["over"] == nil else { return nil }
      let arguments = node.nodes("args").map { deparse($0, column: column) }
      guard arguments.allSatisfy({ $0 != nil }) else { return nil }
      return name.joined(separator: ".") + "(" + arguments.map { $0! }.joined(separator: ", ") + ")"
    case "TypeCast":
      guard let argument = node.node("arg"), let inner = deparse(argument, column: column),
        let typeName = TreeNode(type: "TypeName", unwrapped: node["typeName"]), typeName.nodes("typmods").isEmpty,
        let type = typeName.names("names").last
      else { return nil }
      return "(\(inner))::\(type)"
    default: return nil
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
  mutating func subqueries(in value: TreeValue, scope: Scope) {
    if let node = TreeNode(value) {
      if node.type == "SubLink" {
        if let subselect = node.node("subselect") { statement(subselect, parent: scope) }
        return
      }
      subqueries(in: node, scope: scope)
      return
    }
    switch value {
    case .array(let items): for item in items { subqueries(in: item, scope: scope) }
    case .object(let members): for member in members { subqueries(in: member.value, scope: scope) }
    default: break
    }
  }

  mutating func subqueries(in node: TreeNode, scope: Scope) {
    for field in node.fields { subqueries(in: field.value, scope: scope) }
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

  /// What the value compared by a GIN operator is: a JSON document or key, an array, or unknown.
  static func operand(_ node: TreeNode) -> TableAccess.GinPredicate.Operand {
    switch node.type {
    case "A_ArrayExpr": return .array
    case "TypeCast":
      let type = TreeNode(type: "TypeName", unwrapped: node["typeName"])
      let name = type?.names("names").last ?? ""
      if name == "jsonb" || name == "json" { return .json }
      if type?.nodes("arrayBounds").isEmpty == false || name.hasPrefix("_") { return .array }
      return node.node("arg").map(operand) ?? .unknown
    case "A_Const":
      let text = constantText(node)
      if text.hasPrefix("'{") || text.hasPrefix("'[") {
        return text.contains("\":") || text.hasPrefix("'[") ? .json : .array
      }
      return .unknown
    default: return .unknown
    }
  }

  mutating func addGin(_ column: ResolvedColumn, _ predicate: TableAccess.GinPredicate) {
    if !facts.accesses[column.access].ginPredicates.contains(predicate) {
      facts.accesses[column.access].ginPredicates.append(predicate)
    }
  }

  mutating func addExpression(_ column: ResolvedColumn, _ expression: TableAccess.IndexExpression) {
    if !facts.accesses[column.access].expressions.contains(expression) {
      facts.accesses[column.access].expressions.append(expression)
    }
  }

  mutating func unusable(_ column: ResolvedColumn, _ reason: String) {
    let table = facts.accesses[column.access].table
    facts.accesses[column.access].unusable.append(
      UnusablePredicate(table: table, column: column.column, reason: reason))
  }
}
