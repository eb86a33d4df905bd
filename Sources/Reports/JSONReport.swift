// The JSON report: the report model, encoded with its documented names (docs/json-schema.md).
//
// The queries are three quarters of the encoding's work and each is encoded alone, so on several threads the
// report is encoded without them and each run of queries on a thread of its own, and the runs are set in where
// the empty list stands. Pretty printing makes a value nested one level deeper the same text with two more
// spaces at the start of each line (a blank line, inside an empty list, stays blank; strings hold no raw line
// ends), so the result is byte for byte the single encoder's, which `render(_:threads: 1)` still is.
import Foundation
import LogInput
import ParallelRuns
import PrettyJSON

public enum JSONReport {
  /// Queries each thread encodes at least (a query with its histogram and sparkline is some 5 KB of JSON and a
  /// quarter of a million instructions): below that, one encoder is quicker than handing out runs.
  static let queriesPerRun = 16

  public static func render(_ report: AnalysisReport, threads: Int = 1) throws -> String {
    try renderInRuns(report, threads: threads) ?? text(of: report)
  }

  /// The report encoded in runs of queries on `threads` threads; nil when there are too few queries for two
  /// runs, or when an encoder's text is not the list the splice expects (then `render` uses one encoder).
  public static func renderInRuns(_ report: AnalysisReport, threads: Int) throws -> String? {
    guard min(threads, report.queries.count / queriesPerRun) > 1 else { return nil }
    var rest = report
    rest.queries = []
    // Bytes, not `Data`: searched and cut through its generic collection methods, `Data` took longer than the
    // encoding saved (callgrind).
    let skeleton = try encoded(rest)
    // The top level's `queries`, empty: two spaces deep, where no nested key is.
    let empty = Array("\n  \"queries\" : [\n\n  ]".utf8)
    guard let start = skeleton.withUnsafeBufferPointer({ $0.firstIndex(of: empty, from: 0) }) else { return nil }
    let at = start..<(start + empty.count)
    let queries = report.queries
    // Each run's queries, set in; nil where the encoder failed or its text was not the list expected: then the
    // single encoder does the whole (and throws what it throws).
    let parts = ParallelRuns.map(queries.count, threads: threads, minimumPerRun: queriesPerRun) { range in
      // `[\n` + the queries two spaces deep + `\n]`: the queries, set two spaces deeper.
      guard let list = try? encoded(Array(queries[range])) else { return [nil as [UInt8]?] }
      guard list.count > 4, list[0] == 0x5B, list[1] == 0x0A, list[list.count - 2] == 0x0A, list[list.count - 1] == 0x5D
      else { return [nil] }
      return [indented(list[2..<(list.count - 2)], by: 2)]
    }
    let lists = parts.compactMap { $0 }
    guard lists.count == parts.count else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(skeleton.count + lists.reduce(0) { $0 + $1.count } + 32)
    out.append(contentsOf: skeleton[..<at.lowerBound])
    out.append(contentsOf: "\n  \"queries\" : [\n".utf8)
    for (run, list) in lists.enumerated() {
      if run > 0 { out.append(contentsOf: ",\n".utf8) }
      out.append(contentsOf: list)
    }
    out.append(contentsOf: "\n  ]".utf8)
    out.append(contentsOf: skeleton[at.upperBound...])
    return String(decoding: out, as: UTF8.self) + "\n"
  }

  public static func decode(_ text: String) throws -> AnalysisReport {
    try JSONDecoder().decode(AnalysisReport.self, from: Data(text.utf8))
  }

  private static func encoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes, .sortedKeys]
    return encoder
  }

  private static func text(of report: AnalysisReport) throws -> String {
    String(decoding: try encoded(report), as: UTF8.self) + "\n"
  }

  /// `value`'s JSON text: PrettyJSON's, which is Foundation's encoder's byte for byte (PrettyJSONTests) in half
  /// the instructions (callgrind, bench/RESULTS.md), or Foundation's own for what PrettyJSON leaves to it.
  private static func encoded<T: Encodable>(_ value: T) throws -> [UInt8] {
    do {
      return try PrettyJSONEncoder().encode(value)
    } catch is PrettyJSONEncoder.Unsupported {
      return [UInt8](try encoder().encode(value))
    }
  }

  /// `text` with `spaces` more at the start of each line that is not empty.
  static func indented(_ text: ArraySlice<UInt8>, by spaces: Int) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(text.count + text.count / 4)
    text.withUnsafeBufferPointer { bytes in
      var start = 0
      while start < bytes.count {
        let end = bytes.firstIndex(of: 0x0A, from: start) ?? bytes.count
        if end > start {
          out.append(contentsOf: repeatElement(0x20, count: spaces))
          out.append(contentsOf: bytes.slice(start, end))
        }
        if end < bytes.count { out.append(0x0A) }
        start = end + 1
      }
    }
    return out
  }
}
