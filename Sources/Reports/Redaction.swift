// --redact: reports that leave the database team keep the shape of every statement and message but none of
// the values the application sent.
import Fingerprint
import Statistics

extension AnalysisReport {
  /// The report without literal values: examples, parameters and logged plans go, statements are given as
  /// normalized text (constants replaced by `$n`), and messages lose their numbers and quoted values.
  /// Index advice keeps its DDL: a partial index's predicate is advice about the schema, not a logged value.
  public func redacted() -> AnalysisReport {
    var report = self
    for index in report.queries.indices {
      report.queries[index].example = nil
      report.queries[index].exampleParameters = nil
      report.queries[index].plan?.examplePlan = nil
      report.queries[index].parseError = report.queries[index].parseError.map(Redaction.message)
    }
    for index in report.errors.indices {
      report.errors[index].message = Redaction.message(report.errors[index].message)
      report.errors[index].exampleMessage = Redaction.message(report.errors[index].exampleMessage)
      // A DETAIL is where the server quotes the row (`Key (email)=(…) already exists`): nothing of it is kept.
      report.errors[index].exampleDetail = nil
      report.errors[index].exampleHint = report.errors[index].exampleHint.map(Redaction.message)
      report.errors[index].exampleStatement = report.errors[index].exampleStatement.map(Redaction.statement)
    }
    if var events = report.events {
      for index in events.lockWaits.indices {
        events.lockWaits[index].exampleStatement = events.lockWaits[index].exampleStatement.map(Redaction.statement)
        events.lockWaits[index].holder = events.lockWaits[index].holder.map(Redaction.message)
      }
      for index in events.deadlocks.examples.indices {
        events.deadlocks.examples[index].detail = Redaction.deadlockDetail(events.deadlocks.examples[index].detail)
        events.deadlocks.examples[index].statement = events.deadlocks.examples[index].statement.map(Redaction.statement)
      }
      report.events = events
    }
    return report
  }
}

extension TextRedaction {
  /// The redaction reports use, for what is saved beside them.
  public static let report = TextRedaction(
    statement: Redaction.statement, message: Redaction.message, deadlockDetail: Redaction.deadlockDetail)
}

enum Redaction {
  /// A statement's normalized text.
  static func statement(_ sql: String) -> String { Fingerprinter.normalize(sql) }

  /// Words after which a double-quoted name is the name of a database object, which stays.
  static let objectWords: Set<String> = [
    "relation", "table", "column", "constraint", "index", "function", "type", "schema", "database", "role", "user",
    "sequence", "view", "trigger", "operator", "extension", "tablespace", "cursor", "statement", "savepoint",
    "portal", "collation", "domain", "publication", "subscription", "policy", "rule", "procedure", "aggregate",
  ]

  /// A message with numbers folded to `N` (as errors are grouped), single-quoted values replaced by `'?'`, and
  /// double-quoted ones by `"?"` unless they name an object (`relation "orders"`) or the token a syntax error
  /// points at, when that token is a word.
  static func message(_ text: String) -> String {
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
    return StatementAggregator.messageShape(out)
  }

  /// Whether a syntax error's token is a keyword or name rather than a value.
  static func isWord(_ token: Substring) -> Bool {
    guard let first = token.first, first.isLetter || first == "_" else { return false }
    return token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
  }

  /// A deadlock's DETAIL: `Process N: <statement>` lines give their statement normalized; the others are
  /// messages.
  static func deadlockDetail(_ detail: String) -> String {
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
