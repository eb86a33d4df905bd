// What kind of work a statement is, for the workload's breakdown and the gate: reads, the three writes, COPY,
// schema changes (DDL), maintenance (VACUUM, ANALYZE, CHECKPOINT, …), transaction control and the rest. Read from the statement's first words (a WITH by the statement it
// ends with), case-insensitively, past comments.
public enum StatementCategory: String, Sendable, CaseIterable, Codable {
  case select = "SELECT"
  case insert = "INSERT"
  case update = "UPDATE"
  case delete = "DELETE"
  case copy = "COPY"
  case ddl = "DDL"
  /// VACUUM, ANALYZE, CHECKPOINT, REINDEX, CLUSTER, REFRESH MATERIALIZED VIEW.
  case maintenance
  case transaction = "transaction control"
  case other

  static let ddlWords: Set<String> = ["CREATE", "ALTER", "DROP", "TRUNCATE", "COMMENT", "GRANT", "REVOKE"]
  static let maintenanceWords: Set<String> = [
    "VACUUM", "ANALYZE", "ANALYSE", "CHECKPOINT", "REINDEX", "CLUSTER", "REFRESH",
  ]
  static let transactionWords: Set<String> = [
    "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE",
  ]

  /// The category of a statement's text.
  public static func of(_ text: String) -> StatementCategory {
    let words = Self.words(text, limit: 1)
    guard let first = words.first else { return .other }
    switch first {
    case "SELECT", "VALUES", "TABLE": return .select
    case "INSERT": return .insert
    case "UPDATE": return .update
    case "DELETE": return .delete
    case "MERGE": return .update
    case "COPY": return .copy
    case "WITH":
      // The main statement comes after the last of the WITH's parenthesized queries.
      let main = Self.words(text, limit: .max, outsideParentheses: true).dropFirst()
      for word in main {
        switch word {
        case "INSERT": return .insert
        case "UPDATE": return .update
        case "DELETE": return .delete
        case "SELECT", "VALUES", "TABLE": return .select
        default: continue
        }
      }
      return .select
    case "PREPARE":
      // PREPARE TRANSACTION is transaction control; PREPARE name AS … is its statement's.
      let next = Self.words(text, limit: 3)
      if next.count > 1 && next[1] == "TRANSACTION" { return .transaction }
      return .other
    default:
      if ddlWords.contains(first) { return .ddl }
      if maintenanceWords.contains(first) { return .maintenance }
      if transactionWords.contains(first) { return .transaction }
      return .other
    }
  }

  /// The first `limit` words, upper-cased, past comments and leading parentheses; with `outsideParentheses`,
  /// only words at nesting depth 0.
  static func words(_ text: String, limit: Int, outsideParentheses: Bool = false) -> [String] {
    var words: [String] = []
    var word = ""
    var depth = 0
    var iterator = Array(text.utf8)[...]
    func flush() {
      if !word.isEmpty && (!outsideParentheses || depth == 0) { words.append(word.uppercased()) }
      word = ""
    }
    while let byte = iterator.first, words.count < limit {
      iterator = iterator.dropFirst()
      switch byte {
      case UInt8(ascii: "-") where iterator.first == UInt8(ascii: "-"):
        flush()
        while let next = iterator.first, next != 0x0A { iterator = iterator.dropFirst() }
      case UInt8(ascii: "/") where iterator.first == UInt8(ascii: "*"):
        flush()
        iterator = iterator.dropFirst()
        while let next = iterator.first {
          iterator = iterator.dropFirst()
          if next == UInt8(ascii: "*") && iterator.first == UInt8(ascii: "/") {
            iterator = iterator.dropFirst()
            break
          }
        }
      case UInt8(ascii: "'"):
        flush()
        while let next = iterator.first {
          iterator = iterator.dropFirst()
          if next == UInt8(ascii: "'") { break }
        }
      case UInt8(ascii: "("):
        flush()
        depth += 1
      case UInt8(ascii: ")"):
        flush()
        depth = max(0, depth - 1)
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
        word.append(Character(UnicodeScalar(byte)))
      default:
        flush()
      }
    }
    if words.count < limit { flush() }
    return words
  }
}
