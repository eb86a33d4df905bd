// Unit tests of what the hot path remembers between lines: a process's prefix tail (`PrefixTails`), which
// must read every line exactly as the search would, and the integer tables, which must save exactly as the
// dictionaries they stand for.
import Foundation
import IntegerTables
import LogFormats
import LogInput
import Testing

@Suite("Matcher memos")
struct MatcherMemoTests {
  /// Everything a match says about a line.
  static func fields(_ match: PrefixMatch?, _ line: ByteView) -> String {
    guard let m = match else { return "no match" }
    func text(_ range: Range<Int>) -> String { String(decoding: line[range], as: UTF8.self) }
    return [
      "time \(m.time.map { String($0.epochMs) } ?? "-")", "pid \(m.pid)", "user \(text(m.user))",
      "db \(text(m.database))", "app \(text(m.application))", "client \(text(m.client))",
      "end \(m.end)", "severity \(m.severity)", "text \(m.textStart)", "reading \(m.reading)",
    ].joined(separator: " | ")
  }

  /// Matches every line with tails kept and without, and expects the same fields; returns how many matched.
  static func compare(_ lines: [[UInt8]], _ prefix: LinePrefix) -> Int {
    var memo = LogTimestamp.Memo()
    var tails = PrefixTails()
    var matched = 0
    for line in lines {
      line.withUnsafeBufferPointer { view in
        let kept = prefix.match(view, memo: &memo, tails: &tails)
        let fresh = prefix.match(view)
        #expect(fields(kept, view) == fields(fresh, view), "\(String(decoding: line, as: UTF8.self))")
        if kept != nil { matched += 1 }
      }
    }
    return matched
  }

  @Test(
    "a real log's lines read the same with each process's tail remembered",
    arguments: [
      "shop/postgresql.log.gz", "cloudsql-prefix/postgresql.log.gz", "prefixes/app-first.log.gz",
      "prefixes/db-first.log.gz", "prefixes/angle.log.gz", "prefixes/spaces.log.gz", "prefixes/every-escape.log.gz",
      "blog/postgresql.log.gz",
    ])
  func realLog(_ log: String) throws {
    let input = try InputFile(path: Paths.fixtures.appendingPathComponent(log).path)
    let reader = LineReader(source: input.source)
    var lines: [[UInt8]] = []
    while let line = try reader.nextLine() { lines.append(Array(line)) }
    let format = try FormatDetector.detect(Array(lines.prefix(FormatDetector.sampleLines)))
    let prefix = try #require({ if case .stderr(let p) = format { p } else { nil } }())
    #expect(Self.compare(lines, prefix) > lines.count / 2)
  }

  @Test("a tail is taken only where its bytes are the last line's; a field that changes is searched again")
  func changedTails() throws {
    let prefix = try LinePrefix("%m [%p] user=%u,db=%d,app=%a,client=%h ")
    let lines = [
      "2026-11-25 04:03:57.101 UTC [7] user=[unknown],db=[unknown],app=[unknown],client=[local] LOG:  connection received",
      "2026-11-25 04:03:57.102 UTC [7] user=shop,db=shop,app=[unknown],client=[local] LOG:  connection authorized",
      "2026-11-25 04:03:57.103 UTC [7] user=shop,db=shop,app=psql,client=[local] LOG:  duration: 1.000 ms  statement: SELECT 1",
      "2026-11-25 04:03:57.104 UTC [8] user=shop,db=shop,app=psql,client=[local] ERROR:  relation \"x\" does not exist",
      "2026-11-25 04:03:57.105 UTC [7] user=shop,db=shop,app=psql,client=[local] STATEMENT:  SELECT * FROM x",
      // The same tail, but no severity marker after it: no match, as without the memo.
      "2026-11-25 04:03:57.106 UTC [7] user=shop,db=shop,app=psql,client=[local] something else",
      // A longer application name, then the tail of before again.
      "2026-11-25 04:03:57.107 UTC [7] user=shop,db=shop,app=psql and more,client=[local] LOG:  checkpoint starting",
      "2026-11-25 04:03:57.108 UTC [7] user=shop,db=shop,app=psql,client=[local] LOG:  duration: 2.000 ms  statement: SELECT 2",
      // A space in a user name is no first-ends reading: the searches with backtracking read it, never the memo.
      "2026-11-25 04:03:57.109 UTC [7] user=sh op,db=shop,app=psql,client=[local] LOG:  duration: 3.000 ms  statement: SELECT 3",
      "2026-11-25 04:03:57.110 UTC [7] user=shop,db=shop,app=psql,client=10.0.0.1 LOG:  duration: 4.000 ms  statement: SELECT 4",
      // Process 1031 takes process 7's slot (1,024 of them), then each comes back with its own tail.
      "2026-11-25 04:03:57.111 UTC [1031] user=web,db=shop,app=rails,client=10.0.0.2 LOG:  duration: 5.000 ms  statement: SELECT 5",
      "2026-11-25 04:03:57.112 UTC [7] user=shop,db=shop,app=psql,client=10.0.0.1 LOG:  duration: 6.000 ms  statement: SELECT 6",
      "2026-11-25 04:03:57.113 UTC [1031] user=web,db=shop,app=rails,client=10.0.0.2 LOG:  duration: 7.000 ms  statement: SELECT 7",
      // A tail longer than a slot is searched every time.
      "2026-11-25 04:03:57.114 UTC [9] user=web,db=shop,app=\(String(repeating: "a", count: 200)),client=[local] LOG:  duration: 8.000 ms  statement: SELECT 8",
      "2026-11-25 04:03:57.115 UTC [9] user=web,db=shop,app=\(String(repeating: "a", count: 200)),client=[local] LOG:  duration: 9.000 ms  statement: SELECT 9",
    ].map { Array($0.utf8) }
    #expect(Self.compare(lines, prefix) == 14)
  }

  @Test("integer tables and sets save as the dictionaries and sets they stand for, and read them back")
  func tablesSaveAsDictionaries() throws {
    // A dictionary by a key other than String or Int is saved as a list of keys and values, in its own order:
    // each side is read back as the other.
    let encoder = JSONEncoder()
    let decoder = JSONDecoder()
    let pids: [Int32: String] = [7: "a", -3: "b", 123_456: "c"]
    #expect(try decoder.decode([Int32: String].self, from: encoder.encode(IntegerTable(pids))) == pids)
    #expect(try decoder.decode(IntegerTable<Int32, String>.self, from: encoder.encode(pids)).dictionary == pids)
    let buckets: [Int64: Int32] = [1_764_043_437: 4, -2: 1, 0: 9]
    #expect(try decoder.decode([Int64: Int32].self, from: encoder.encode(IntegerTable(buckets))) == buckets)
    var table = IntegerTable<Int64, Int32>()
    for (key, value) in buckets { table[key, default: 0] += value }
    #expect(table.dictionary == buckets && table.count == 3)
    #expect(Dictionary(uniqueKeysWithValues: table.map { ($0.key, $0.value) }) == buckets)
    var set = IntegerSet<Int32>()
    for pid in [5, 9, 5, -1] as [Int32] { set.insert(pid) }
    #expect(set.set == [5, 9, -1] && set.contains(9) && !set.contains(6))
  }
}
