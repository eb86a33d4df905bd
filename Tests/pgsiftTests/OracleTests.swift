// pg_stat_statements, taken from the same server run as each fixture log, is an independent count of every
// statement: grouped by libpg_query fingerprint, its calls must equal pgsift's calls per fingerprint.
import Fingerprint
import Foundation
import Testing

@Suite("pg_stat_statements agrees with pgsift")
struct OracleTests {
  /// BEGIN and COMMIT sent through the extended protocol are logged on every execution but counted by
  /// pg_stat_statements only once per prepared statement (../shared/corpus/README.md).
  static let extendedProtocolUtilities: Set<String> = ["b16b431979fc3e05", "7bbcde9cfab6c79c"]

  struct Case: CustomTestStringConvertible, Sendable {
    var set: LogSet
    var format: String
    var testDescription: String { "\(set.name) \(format)" }
  }

  static let cases = LogSet.all.flatMap { set in ["log", "csv", "json"].map { Case(set: set, format: $0) } }

  @Test("calls per fingerprint match pg_stat_statements", arguments: cases)
  func callsMatch(_ c: Case) throws {
    let expected = try Self.pgStatStatementsCalls(c.set.directory.appendingPathComponent("pg_stat_statements.csv"))
    #expect(expected.count >= 35)
    let result = try pgsift(["analyze", c.set.file(c.format), "--format", "json"])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try result.report()
    #expect(report.input.skippedLines == 0)
    let calls = Dictionary(uniqueKeysWithValues: report.queries.map { ($0.fingerprint, $0.calls) })
    for (fingerprint, count) in expected {
      if Self.extendedProtocolUtilities.contains(fingerprint) {
        #expect((calls[fingerprint] ?? 0) >= count, "\(fingerprint)")
      } else {
        #expect(calls[fingerprint] == count, "fingerprint \(fingerprint)")
      }
    }
  }

  @Test("the detected prefix is the server's log_line_prefix", arguments: LogSet.all)
  func prefixDetected(set: LogSet) throws {
    let configured = try String(
      contentsOf: set.directory.appendingPathComponent("log_line_prefix.txt"), encoding: .utf8
    )
    .trimmingCharacters(in: .newlines)
    let detected = try pgsift(["analyze", set.file("log"), "--format", "json"]).report()
    let forced = try pgsift(["analyze", set.file("log"), "--format", "json", "--prefix", configured]).report()
    #expect(forced.input.files.first?.logLinePrefix == configured)
    #expect(forced.input.skippedLines == 0)
    #expect(callsAndTotals(forced) == callsAndTotals(detected))
    // Detection may spell an equivalent prefix differently (%h for %r, %q placed a field earlier),
    // but never misses a field that identifies sessions or names.
    let found = try #require(detected.input.files.first?.logLinePrefix)
    for escape in ["%u", "%d", "%a", "%p", "%l", "%c"] where configured.contains(escape) {
      #expect(found.contains(escape), "\(escape) in \(found)")
    }
  }

  /// Sums `calls` of pg_stat_statements.csv by the libpg_query fingerprint of `query`.
  static func pgStatStatementsCalls(_ url: URL) throws -> [String: Int] {
    let records = try CSVRecords.parse(String(contentsOf: url, encoding: .utf8))
    let header = try #require(records.first)
    let callsColumn = try #require(header.firstIndex(of: "calls"))
    let queryColumn = try #require(header.firstIndex(of: "query"))
    var sums: [String: Int] = [:]
    for record in records.dropFirst() where record.count > queryColumn {
      guard case .success(let value) = PgQuery.fingerprint(record[queryColumn]) else {
        Issue.record("pg_stat_statements query does not parse: \(record[queryColumn])")
        continue
      }
      sums[Fingerprint(value: value, source: .libpgQuery).hex, default: 0] += Int(record[callsColumn]) ?? 0
    }
    return sums
  }
}

/// A small RFC 4180 reader for the test oracles (quoted fields may hold commas, quotes and newlines).
enum CSVRecords {
  static func parse(_ text: String) throws -> [[String]] {
    var records: [[String]] = []
    var record: [String] = []
    var field = ""
    var quoted = false
    var chars = text.makeIterator()
    var pending: Character? = nil
    while let c = pending ?? chars.next() {
      pending = nil
      if quoted {
        if c == "\"" {
          if let next = chars.next() {
            if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
          } else {
            quoted = false
          }
        } else {
          field.append(c)
        }
        continue
      }
      switch c {
      case "\"": quoted = true
      case ",": record.append(field); field = ""
      case "\n", "\r\n":
        record.append(field)
        records.append(record)
        record = []
        field = ""
      default: field.append(c)
      }
    }
    if !field.isEmpty || !record.isEmpty {
      record.append(field)
      records.append(record)
    }
    return records
  }
}
