// Reading libpg_query's JSON parse trees (`pg_query_parse`): each node is `{"TypeName": {fields}}`.
import Fingerprint
import Foundation

/// One parse tree node: its type name and its fields.
struct TreeNode {
  let type: String
  let fields: [String: Any]

  /// Reads a wrapped node (`{"SelectStmt": {...}}`).
  init?(_ value: Any?) {
    guard let dictionary = value as? [String: Any], dictionary.count == 1, let (type, inner) = dictionary.first,
      let fields = inner as? [String: Any]
    else { return nil }
    self.type = type
    self.fields = fields
  }

  /// Reads an unwrapped node of a known type (some fields, such as `UpdateStmt.relation`, are not wrapped).
  init?(type: String, unwrapped value: Any?) {
    guard let fields = value as? [String: Any] else { return nil }
    self.type = type
    self.fields = fields
  }

  subscript(key: String) -> Any? { fields[key] }

  func node(_ key: String) -> TreeNode? { TreeNode(fields[key]) }

  func nodes(_ key: String) -> [TreeNode] {
    (fields[key] as? [Any] ?? []).compactMap { TreeNode($0) }
  }

  func string(_ key: String) -> String? { fields[key] as? String }

  func bool(_ key: String) -> Bool { fields[key] as? Bool ?? false }

  /// The strings of a list of `String` nodes, as in `ColumnRef.fields` or `A_Expr.name`.
  func names(_ key: String) -> [String] {
    nodes(key).compactMap { $0.type == "String" ? $0.string("sval") : nil }
  }

  /// Nodes of a `List` node's items, or of a plain array.
  func listItems(_ key: String) -> [TreeNode] {
    if let list = node(key), list.type == "List" { return list.nodes("items") }
    return nodes(key)
  }
}

enum ParseTree {
  /// The top-level statements of `sql`, or nil when libpg_query cannot parse it.
  static func statements(_ sql: String) -> [TreeNode]? {
    guard case .success(let json) = PgQuery.parseTreeJSON(sql),
      let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    else { return nil }
    let statements = object["stmts"] as? [[String: Any]] ?? []
    return statements.compactMap { TreeNode($0["stmt"]) }
  }
}
