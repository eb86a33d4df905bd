// --redact through the CLI on the shop corpus: the literal values the application sent (found in an ordinary
// report's examples, parameters, error details and deadlocks) appear in no report format once redacted.
import Foundation
import Reports
import Testing

@Suite("Redaction")
struct RedactionTests {
  static let shopLog = Paths.shop.appendingPathComponent("postgresql.log.gz").path

  /// The values to look for: quoted literals that hold a digit, `@`, `-` or a non-ASCII letter (so that words
  /// like 'pending', which the report also uses as words or in index DDL, are left out), and numbers of five
  /// digits or more compared with `=`.
  static func literals(_ report: AnalysisReport) throws -> Set<String> {
    var texts: [String] = []
    for query in report.queries { texts += [query.example, query.exampleParameters].compactMap { $0 } }
    for error in report.errors {
      texts += [error.exampleStatement, error.exampleDetail, error.exampleMessage].compactMap { $0 }
    }
    let events = try #require(report.events)
    texts += events.lockWaits.compactMap(\.exampleStatement)
    texts += events.deadlocks.examples.flatMap { [$0.detail, $0.statement].compactMap { $0 } }
    let quoted = try Regex("'((?:[^']|'')*)'")
    let number = try Regex("= ([0-9]{5,})")
    var found: Set<String> = []
    for text in texts {
      for match in text.matches(of: quoted) {
        let value = String(text[match.range].dropFirst().dropLast())
        if value.count >= 4, value.contains(where: { $0.isNumber || $0 == "@" || $0 == "-" || !$0.isASCII }) {
          found.insert(value)
        }
      }
      for match in text.matches(of: number) { found.insert(String(text[match.range].dropFirst(2))) }
    }
    return found
  }

  @Test("no literal value of the corpus is left in the JSON, text or HTML report")
  func noLiterals() throws {
    let plain = try pgsift(["analyze", Self.shopLog, "--format", "json"])
    #expect(plain.status == 0)
    let literals = try Self.literals(try plain.report())
    // Customer e-mails, SKUs, ids, a Unicode string, parameters of prepared statements, a duplicate key.
    #expect(literals.count >= 20, "\(literals.sorted())")
    #expect(literals.contains("dup@example.com"))
    for format in ["json", "text", "html"] {
      let unredacted = try pgsift(["analyze", Self.shopLog, "--format", format])
      let redacted = try pgsift(["analyze", Self.shopLog, "--format", format, "--redact"])
      #expect(redacted.status == 0)
      // The values are there without --redact (the text report shows normalized statements only).
      if format != "text" {
        #expect(literals.filter { unredacted.stdout.contains($0) }.count >= literals.count / 2, "\(format)")
      }
      let leaked = literals.filter { redacted.stdout.contains($0) }
      #expect(leaked.isEmpty, "\(format) report keeps \(leaked.sorted())")
    }
  }

  @Test("redacted JSON keeps every figure, normalized statements and the shapes of messages")
  func keepsTheFigures() throws {
    let plain = try pgsift(["analyze", Self.shopLog, "--format", "json"]).report()
    let redacted = try pgsift(["analyze", Self.shopLog, "--format", "json", "--redact"]).report()
    #expect(callsAndTotals(plain) == callsAndTotals(redacted))
    #expect(plain.indexSuggestions.map(\.ddl) == redacted.indexSuggestions.map(\.ddl))
    #expect(redacted.queries.allSatisfy { $0.example == nil && $0.exampleParameters == nil })
    let duplicate = try #require(redacted.errors.first { $0.message.contains("customers_pkey") })
    #expect(duplicate.message == "duplicate key value violates unique constraint \"customers_pkey\"")
    #expect(duplicate.exampleDetail == nil)
    #expect(duplicate.exampleStatement == "INSERT INTO customers (id, email, country) VALUES ($1, $2, $3);")
    let deadlock = try #require(redacted.events?.deadlocks.examples.first)
    #expect(deadlock.detail.contains("Process N: update kv set v=$1 where k=$2"), "\(deadlock.detail)")
    // Process ids, transaction ids and values are gone; the digits left are parameter numbers.
    #expect(
      deadlock.detail.replacing(try Regex("\\$[0-9]+"), with: "").allSatisfy { !$0.isNumber }, "\(deadlock.detail)")
  }
}
