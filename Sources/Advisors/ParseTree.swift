// Reading libpg_query's JSON parse trees (`pg_query_parse`): each node is `{"TypeName": {fields}}`. Read into
// typed values in one pass over the bytes, members in the order libpg_query writes them: Foundation's
// JSONSerialization built bridged dictionaries and cast every field back, most of the report's time (callgrind).
import Fingerprint
import LogInput

/// One value of a parse tree.
enum TreeValue {
  /// Members in the order written.
  case object([(key: String, value: TreeValue)])
  case array([TreeValue])
  case string(String)
  case integer(Int)
  case number(Double)
  case bool(Bool)
  case null

  /// The member named `key` of an object.
  subscript(key: String) -> TreeValue? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.key == key }?.value
  }
}

/// One parse tree node: its type name and its fields.
struct TreeNode {
  let type: String
  let fields: [(key: String, value: TreeValue)]

  /// Reads a wrapped node (`{"SelectStmt": {...}}`).
  init?(_ value: TreeValue?) {
    guard case .object(let members)? = value, members.count == 1, case .object(let fields) = members[0].value
    else { return nil }
    self.type = members[0].key
    self.fields = fields
  }

  /// Reads an unwrapped node of a known type (some fields, such as `UpdateStmt.relation`, are not wrapped).
  init?(type: String, unwrapped value: TreeValue?) {
    guard case .object(let fields)? = value else { return nil }
    self.type = type
    self.fields = fields
  }

  subscript(key: String) -> TreeValue? { fields.first { $0.key == key }?.value }

  /// The node's fields as one object value, for the searches that walk any value.
  var object: TreeValue { .object(fields) }

  func node(_ key: String) -> TreeNode? { TreeNode(self[key]) }

  func nodes(_ key: String) -> [TreeNode] {
    guard case .array(let items)? = self[key] else { return [] }
    return items.compactMap { TreeNode($0) }
  }

  func string(_ key: String) -> String? {
    guard case .string(let text)? = self[key] else { return nil }
    return text
  }

  func integer(_ key: String) -> Int? {
    guard case .integer(let value)? = self[key] else { return nil }
    return value
  }

  func bool(_ key: String) -> Bool {
    guard case .bool(let value)? = self[key] else { return false }
    return value
  }

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
    guard case .success(var json) = PgQuery.parseTreeJSON(sql),
      let object = json.withUTF8({ TreeReader.read($0) }), case .array(let statements)? = object["stmts"]
    else { return nil }
    return statements.compactMap { TreeNode($0["stmt"]) }
  }
}

/// Reads one JSON value, as libpg_query writes it; nil where the text is not JSON.
struct TreeReader {
  private let text: UnsafeBufferPointer<UInt8>
  private var i = 0
  /// How deep values may nest: JSONSerialization's limit, which this reader replaced, so that the statements
  /// read are the ones read before.
  private static let depthLimit = 512

  static func read(_ text: UnsafeBufferPointer<UInt8>) -> TreeValue? {
    var reader = TreeReader(text: text)
    reader.skipSpace()
    guard let value = reader.value(depth: 0) else { return nil }
    reader.skipSpace()
    return reader.i == text.count ? value : nil
  }

  private init(text: UnsafeBufferPointer<UInt8>) { self.text = text }

  private mutating func skipSpace() {
    while i < text.count, text[i] == 0x20 || text[i] == 0x0A || text[i] == 0x0D || text[i] == 0x09 { i += 1 }
  }

  /// Whether the next byte, past white space, is `byte`; passes over it when it is.
  private mutating func take(_ byte: UInt8) -> Bool {
    skipSpace()
    guard i < text.count, text[i] == byte else { return false }
    i += 1
    return true
  }

  private mutating func value(depth: Int) -> TreeValue? {
    guard i < text.count else { return nil }
    switch text[i] {
    case UInt8(ascii: "{"):
      guard depth < Self.depthLimit else { return nil }
      i += 1
      var members: [(key: String, value: TreeValue)] = []
      if take(UInt8(ascii: "}")) { return .object(members) }
      repeat {
        skipSpace()
        guard let key = string(), take(UInt8(ascii: ":")) else { return nil }
        skipSpace()
        guard let member = value(depth: depth + 1) else { return nil }
        members.append((key, member))
      } while take(UInt8(ascii: ","))
      return take(UInt8(ascii: "}")) ? .object(members) : nil
    case UInt8(ascii: "["):
      guard depth < Self.depthLimit else { return nil }
      i += 1
      var items: [TreeValue] = []
      if take(UInt8(ascii: "]")) { return .array(items) }
      repeat {
        skipSpace()
        guard let item = value(depth: depth + 1) else { return nil }
        items.append(item)
      } while take(UInt8(ascii: ","))
      return take(UInt8(ascii: "]")) ? .array(items) : nil
    case UInt8(ascii: "\""):
      return string().map { .string($0) }
    case UInt8(ascii: "t"):
      return word("true") ? .bool(true) : nil
    case UInt8(ascii: "f"):
      return word("false") ? .bool(false) : nil
    case UInt8(ascii: "n"):
      return word("null") ? .null : nil
    default:
      return number()
    }
  }

  private mutating func word(_ word: StaticString) -> Bool {
    let n = word.utf8CodeUnitCount
    guard i + n <= text.count,
      UnsafeBufferPointer(rebasing: text[i..<(i + n)]).elementsEqual(
        UnsafeBufferPointer(start: word.utf8Start, count: n))
    else { return false }
    i += n
    return true
  }

  /// A number: an integer where it has no fraction or exponent and fits, else a double.
  private mutating func number() -> TreeValue? {
    let start = i
    var integral = true
    while i < text.count {
      let b = text[i]
      if b &- 0x30 < 10 || b == UInt8(ascii: "-") {
      } else if b == UInt8(ascii: ".") || b | 0x20 == UInt8(ascii: "e") || b == UInt8(ascii: "+") {
        integral = false
      } else {
        break
      }
      i += 1
    }
    guard i > start else { return nil }
    let digits = String(decoding: UnsafeBufferPointer(rebasing: text[start..<i]), as: UTF8.self)
    if integral, let value = Int(digits) { return .integer(value) }
    return Double(digits).map { .number($0) }
  }

  /// A string at `i` (its opening quote), unescaped. Most hold no escape: those are taken whole, without the
  /// copy the unescaping makes.
  private mutating func string() -> String? {
    guard i < text.count, text[i] == UInt8(ascii: "\"") else { return nil }
    var end = i + 1
    while end < text.count, text[end] != UInt8(ascii: "\""), text[end] != UInt8(ascii: "\\") { end += 1 }
    if end < text.count, text[end] == UInt8(ascii: "\"") {
      defer { i = end + 1 }
      return String(decoding: UnsafeBufferPointer(rebasing: text[(i + 1)..<end]), as: UTF8.self)
    }
    var bytes: [UInt8] = []
    do {
      _ = try text.readJSONString(at: &i, into: &bytes)
    } catch {
      return nil
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
