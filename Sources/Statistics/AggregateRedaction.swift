// --redact for what is saved (--save-state), not only for the report: every statement text an aggregate keeps
// is replaced by its normalized form, every message by one without values, and what cannot be made free of
// values (examples, parameters, plans, an error's DETAIL) is dropped. Reports redact with the same functions
// (`LiteralRedaction`), so that a saved state and a report say the same.
import AppPatterns
import Fingerprint
import LogInput
import ServerEvents

/// How reports and saved states take the literal values out of texts.
public enum LiteralRedaction {
  /// A statement's normalized text, the values of its tags that look like ids (trace ids, record ids) replaced.
  public static func statement(_ sql: String) -> String { QueryTags.redactingIDs(in: Fingerprinter.normalize(sql)) }

  /// An endpoint's name with its parts that look like ids replaced (`/orders/1234` → `/orders/?`): names of
  /// controllers, actions and routes stay.
  public static func endpoint(_ name: String) -> String {
    var out = ""
    var part = ""
    func flush() {
      out += QueryTags.looksLikeID(part) ? "?" : part
      part = ""
    }
    for c in name {
      if c == "/" || c == "#" || c == ":" || c == "." || c == "?" || c == "=" || c == "&" {
        flush()
        out.append(c)
      } else {
        part.append(c)
      }
    }
    flush()
    return out
  }

  /// Words after which a double-quoted name is the name of a database object, which stays.
  static let objectWords: Set<String> = [
    "relation", "table", "column", "constraint", "index", "function", "type", "schema", "database", "role", "user",
    "sequence", "view", "trigger", "operator", "extension", "tablespace", "cursor", "statement", "savepoint",
    "portal", "collation", "domain", "publication", "subscription", "policy", "rule", "procedure", "aggregate",
  ]

  /// A message with numbers folded to `N` (as errors are grouped), single-quoted values replaced by `'?'`, and
  /// double-quoted ones by `"?"` unless they name an object (`relation "orders"`) or the token a syntax error
  /// points at, when that token is a word.
  public static func message(_ text: String) -> String {
    var out = ""
    var lastWord = ""
    var word = ""
    var index = text.startIndex
    while index < text.endIndex {
      let c = text[index]
      if c == "'" || c == "\"" {
        // The quoted part, doubled quotes included, up to its closing quote (or the end).
        var end = text.index(after: index)
        while end < text.endIndex {
          if text[end] == c {
            let next = text.index(after: end)
            if next < text.endIndex && text[next] == c {
              end = text.index(after: next)
              continue
            }
            break
          }
          end = text.index(after: end)
        }
        let inside = text[text.index(after: index)..<end]
        let keeps =
          c == "\"" && (objectWords.contains(lastWord.lowercased()) || (lastWord == "near" && isWord(inside)))
        out += keeps ? "\"\(inside)\"" : "\(c)?\(c)"
        index = end < text.endIndex ? text.index(after: end) : end
        word = ""
        continue
      }
      out.append(c)
      if c.isLetter || c == "_" {
        word.append(c)
      } else if !word.isEmpty {
        lastWord = word
        word = ""
      }
      index = text.index(after: index)
    }
    return MessageText.shape(out)
  }

  /// Whether a syntax error's token is a keyword or name rather than a value.
  static func isWord(_ token: Substring) -> Bool {
    guard let first = token.first, first.isLetter || first == "_" else { return false }
    return token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
  }

  /// A deadlock's DETAIL: `Process N: <statement>` lines give their statement normalized; the others are
  /// messages.
  public static func deadlockDetail(_ detail: String) -> String {
    detail.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
      if line.hasPrefix("Process "), let colon = line.firstIndex(of: ":"),
        line[line.index(line.startIndex, offsetBy: 8)..<colon].allSatisfy(\.isNumber)
      {
        return "Process N: " + statement(String(line[line.index(after: colon)...].drop(while: { $0 == " " })))
      }
      return message(String(line))
    }.joined(separator: "\n")
  }
}

extension StatementAggregator {
  /// The aggregate with no literal value left in it.
  public mutating func redact() {
    for index in queries.indices { queries[index].redact() }
    for index in errorGroups.indices { errorGroups[index].redact() }
    activity.redact()
  }
}

extension QueryStats {
  mutating func redact() {
    firstText = LiteralRedaction.statement(firstText)
    normalized = normalized.isEmpty ? "" : LiteralRedaction.statement(normalized)
    example = nil
    exampleParameters = nil
    parseError = parseError.map(LiteralRedaction.message)
    plans.example = nil
    endpoints?.rename(LiteralRedaction.endpoint)
    // The advisor's sample keeps the shape of each execution, not its constants; nor are the hashes of the
    // constants kept (a hash of 'pending' is easily guessed).
    redactSamples(LiteralRedaction.statement)
    constancy = nil
  }
}

extension ErrorGroup {
  mutating func redact() {
    message = LiteralRedaction.message(message)
    example.message = LiteralRedaction.message(example.message)
    example.detail = nil
    example.hint = example.hint.map(LiteralRedaction.message)
    example.statement = example.statement.map(LiteralRedaction.statement)
  }
}

extension ServerActivity {
  mutating func redact() {
    for key in lockWaits.keys {
      lockWaits[key]!.example = lockWaits[key]!.example.map(LiteralRedaction.statement)
      lockWaits[key]!.holder = lockWaits[key]!.holder.map(LiteralRedaction.message)
    }
    for index in deadlocks.indices {
      deadlocks[index].detail = LiteralRedaction.deadlockDetail(deadlocks[index].detail)
      deadlocks[index].statement = deadlocks[index].statement.map(LiteralRedaction.statement)
    }
  }
}
