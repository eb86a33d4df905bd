// PrettyJSON must write what Foundation's JSONEncoder writes with the report's options, byte for byte: on the
// reports of every fixture set, through the CLI, and on values made to reach its corners.
import Foundation
import NullCoding
import PrettyJSON
import Reports
import Testing

@Suite("PrettyJSON")
struct PrettyJSONTests {
  static func foundation<T: Encodable>(_ value: T) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes, .sortedKeys]
    return [UInt8](try encoder.encode(value))
  }

  /// Nil when `a` and `b` are the same bytes; otherwise where they part, with some text of each from there.
  static func difference(_ a: [UInt8], _ b: [UInt8]) -> String? {
    guard a != b else { return nil }
    let at = zip(a, b).prefix { $0 == $1 }.count
    func around(_ x: [UInt8]) -> String { String(decoding: x[max(0, at - 40)..<min(x.count, at + 80)], as: UTF8.self) }
    return "byte \(at) of \(a.count) and \(b.count): «\(around(a))» against «\(around(b))»"
  }

  /// The first log of each fixture set, in whichever format it is.
  static func fixtureLogs() throws -> [String] {
    let sets = try FileManager.default.contentsOfDirectory(atPath: Paths.fixtures.path).sorted()
    return try sets.compactMap { set in
      let directory = Paths.fixtures.appendingPathComponent(set)
      let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
      let logs = names.filter {
        ($0.hasSuffix(".gz") || $0.hasSuffix(".log")) && !$0.contains("pg_stat_statements")
      }
      return logs.first.map { directory.appendingPathComponent($0).path }
    }
  }

  @Test("every fixture set's report: the CLI's JSON is Foundation's text of the same report")
  func fixtureReports() throws {
    let logs = try Self.fixtureLogs()
    #expect(logs.count >= 30, "\(logs.count) fixture logs")
    var queries = 0
    for log in logs {
      let run = try pgsift(["analyze", log, "--format", "json", "--jobs", "2"])
      let report = try run.report()
      queries += report.queries.count
      let ours = try PrettyJSONEncoder().encode(report)
      let theirs = try Self.foundation(report)
      #expect(Self.difference(ours, theirs) == nil, "\(log)")
      #expect(Self.difference(Array(run.stdout.utf8), theirs + [0x0A]) == nil, "\(log)")
    }
    // The reports hold queries to write: the comparison covers their histograms, examples and advice.
    #expect(queries > 1_500, "\(queries) queries")
  }

  struct Corners: Encodable {
    struct Inner: Encodable {
      var name: String
      var values: [Double]
    }
    var text = "quote \" backslash \\ slash / tab \t line\n return\r bell \u{07} \u{08}\u{0C}\u{1F} del \u{7F} é 𝄞"
    var empty = ""
    var integers = [0, 1, -1, 9, 10, -10, 1_000_000, Int.max, Int.min]
    var wide: [UInt64] = [0, UInt64(Int64.max), UInt64(Int64.max) + 1, .max]
    var small: [Int8] = [-128, 127]
    var narrow: [UInt16] = [0, 65535]
    var doubles = [
      0.0, -0.0, 1.0, -1.5, 0.1, 1e-7, 1.5e-7, 123456789.0, 1e16, 1e21, 2.5e300, .leastNonzeroMagnitude,
      .greatestFiniteMagnitude, .pi,
    ]
    var single: Float = 0.1
    var flags = [true, false]
    var none: Int? = nil
    @WritesNull var null: String? = nil
    @WritesNull var present: Int? = 3
    var nothing: [Int] = []
    var noKeys: [String: Int] = [:]
    // Keys whose UTF-8 order differs from case-blind or Unicode order: upper case first, `é` after `z`.
    var byName = ["z": 1, "é": 2, "Z": 3, "a": 4, "a1": 5, "a10": 6, "a2": 7, "": 8]
    var byNumber = [10: "ten", 9: "nine", 100: "hundred"]
    var nested = [[Inner(name: "one", values: [])], [], [Inner(name: "two", values: [1, 2.5])]]
    var deep = [[[[["five deep"]]]]]
  }

  @Test("corner values: escapes, numbers, empty containers, null, sorted keys, nesting")
  func corners() throws {
    let value = Corners()
    #expect(Self.difference(try PrettyJSONEncoder().encode(value), try Self.foundation(value)) == nil)
  }

  /// A value that writes its members through nested containers and a super encoder, and a key twice.
  struct Containers: Encodable {
    enum Keys: String, CodingKey { case b, a, list, object, base, again }
    func encode(to encoder: any Encoder) throws {
      var keyed = encoder.container(keyedBy: Keys.self)
      try keyed.encode(1, forKey: .b)
      var list = keyed.nestedUnkeyedContainer(forKey: .list)
      try list.encode("first")
      var inner = list.nestedContainer(keyedBy: Keys.self)
      try inner.encode(true, forKey: .a)
      try list.encodeNil()
      var object = keyed.nestedContainer(keyedBy: Keys.self, forKey: .object)
      try object.encode([1, 2], forKey: .list)
      try object.encode(-2.5, forKey: .b)
      try Corners.Inner(name: "base", values: [3]).encode(to: keyed.superEncoder(forKey: .base))
      try keyed.encode("first value", forKey: .again)
      try keyed.encode("second value", forKey: .again)
      try keyed.encodeNil(forKey: .a)
    }
  }

  @Test("nested and super containers, and a key encoded twice keeps its last value")
  func containers() throws {
    let value = Containers()
    #expect(Self.difference(try PrettyJSONEncoder().encode(value), try Self.foundation(value)) == nil)
    let text = String(decoding: try PrettyJSONEncoder().encode(value), as: UTF8.self)
    #expect(text.contains("\"again\" : \"second value\""))
    #expect(!text.contains("first value"))
  }

  struct Dated: Encodable {
    var when = Date(timeIntervalSince1970: 0)
  }

  /// Writes a member into a keyed container after its value went into a single-value one.
  struct Mixed: Encodable {
    enum Keys: CodingKey { case a }
    func encode(to encoder: any Encoder) throws {
      var single = encoder.singleValueContainer()
      try single.encode(1)
      var keyed = encoder.container(keyedBy: Keys.self)
      try keyed.encode(2, forKey: .a)
    }
  }

  @Test("what Foundation writes by rules of its own, or cannot write, is left to it")
  func leftToFoundation() throws {
    #expect(throws: PrettyJSONEncoder.Unsupported.self) { try PrettyJSONEncoder().encode(Dated()) }
    #expect(throws: PrettyJSONEncoder.Unsupported.self) { try PrettyJSONEncoder().encode([Double.nan]) }
    #expect(throws: PrettyJSONEncoder.Unsupported.self) { try PrettyJSONEncoder().encode(["x": Double.infinity]) }
    // Nothing is dropped: a value written into two kinds of container is not written by half.
    #expect(throws: PrettyJSONEncoder.Unsupported.self) { try PrettyJSONEncoder().encode([Mixed()]) }
  }
}
