// auto_explain plans (`duration: X ms  plan:` records, text or JSON format), attached to their query's
// fingerprint, and the facts the advisor and the reader can use: sequential scans with a filter and the rows
// it removed, sort methods and sorts that spilled to disk, temporary blocks written.
import LogFormats
import LogInput

public struct PlanFacts: Sendable, Codable {
  /// Plans logged for the query.
  public var explained = 0
  /// Sequential scans by table: how many plans had one, and the rows their filters removed in all.
  public var seqScans: [String: SeqScan] = [:]
  /// Sort methods (`quicksort`, `top-N heapsort`, `external merge`, …) by plans that used them.
  public var sortMethods: [String: Int] = [:]
  /// Kilobytes sorts wrote to disk (`Sort Space Type: Disk`).
  public var sortDiskKB: Int64 = 0
  /// Temporary blocks written (`temp written=`), with auto_explain.log_buffers.
  public var tempBlocksWritten: Int64 = 0
  /// The slowest plan (the earliest of equals), as logged.
  public var example: String?
  public var exampleDurationUs: Int64 = -1
  public var examplePosition: Int64 = .max

  public struct SeqScan: Sendable, Codable {
    public var scans = 0
    public var rowsRemoved: Int64 = 0
  }

  public init() {}

  public mutating func add(_ other: PlanFacts) {
    explained += other.explained
    for (table, scan) in other.seqScans {
      seqScans[table, default: SeqScan()].scans += scan.scans
      seqScans[table, default: SeqScan()].rowsRemoved += scan.rowsRemoved
    }
    for (method, count) in other.sortMethods { sortMethods[method, default: 0] += count }
    sortDiskKB += other.sortDiskKB
    tempBlocksWritten += other.tempBlocksWritten
    if other.exampleDurationUs > exampleDurationUs
      || (other.exampleDurationUs == exampleDurationUs && other.examplePosition < examplePosition)
    {
      example = other.example
      exampleDurationUs = other.exampleDurationUs
      examplePosition = other.examplePosition
    }
  }

  /// Reads an auto_explain record's message: the query text and the facts of its one plan; nil when it is not
  /// `duration: X ms  plan:` followed by a plan.
  static func read(_ message: String) -> (query: String, facts: PlanFacts)? {
    guard message.hasPrefix("duration: "), let planMark = message.firstRange(of: " ms  plan:\n") else { return nil }
    let duration = MessageText.thousandths(message[message.index(message.startIndex, offsetBy: 10)...]) ?? 0
    let plan = message[planMark.upperBound...]
    var facts = PlanFacts()
    facts.explained = 1
    let query: String
    if plan.first == "{" {
      guard let text = jsonString(after: "\"Query Text\": ", in: plan) else { return nil }
      query = text
      readJSON(plan, into: &facts)
    } else {
      guard plan.hasPrefix("Query Text: ") else { return nil }
      var lines = plan.dropFirst("Query Text: ".count).split(separator: "\n", omittingEmptySubsequences: false)[...]
      var queryLines: [Substring] = []
      // The query runs to the plan's first node, the first line with costs or actual times.
      while let line = lines.first, !(line.contains("  (cost=") || line.contains(" (actual ")) || queryLines.isEmpty {
        queryLines.append(line)
        lines = lines.dropFirst()
      }
      query = queryLines.joined(separator: "\n")
      readText(lines, into: &facts)
    }
    facts.example = String(plan)
    facts.exampleDurationUs = duration
    return (query, facts)
  }

  private static func readText(_ lines: ArraySlice<Substring>, into facts: inout PlanFacts) {
    var table: String?
    for raw in lines {
      var line = raw.drop { $0 == " " || $0 == "\t" }
      if line.hasPrefix("->") { line = line.dropFirst(2).drop { $0 == " " } }
      if line.hasPrefix("Seq Scan on ") || line.hasPrefix("Parallel Seq Scan on ") {
        let name = line.split(separator: "Seq Scan on ", maxSplits: 1).last?.prefix { $0 != " " } ?? ""
        table = String(name)
        facts.seqScans[table!, default: SeqScan()].scans += 1
      } else if line.contains("(cost=") || line.contains("(actual ") {
        table = nil
      } else if line.hasPrefix("Rows Removed by Filter: "), let table {
        facts.seqScans[table]!.rowsRemoved += Int64(line.dropFirst("Rows Removed by Filter: ".count)) ?? 0
      } else if line.hasPrefix("Sort Method: ") {
        let rest = line.dropFirst("Sort Method: ".count)
        let method = rest.firstRange(of: "  ").map { rest[..<$0.lowerBound] } ?? rest
        facts.sortMethods[String(method), default: 0] += 1
        if let disk = rest.firstRange(of: "Disk: ") {
          facts.sortDiskKB += Int64(rest[disk.upperBound...].prefix { $0.isNumber }) ?? 0
        }
      }
      if let temp = line.firstRange(of: "temp read=") ?? line.firstRange(of: "temp written=") {
        let rest = line[temp.lowerBound...]
        if let written = rest.firstRange(of: "written=") {
          facts.tempBlocksWritten += Int64(rest[written.upperBound...].prefix { $0.isNumber }) ?? 0
        }
      }
    }
  }

  private static func readJSON(_ plan: Substring, into facts: inout PlanFacts) {
    // Keys in plan order: a node's type, then its relation, then its filter's removed rows.
    var table: String?
    // A sort node's space: its type and size come in either order.
    var spaceUsed: Int64?
    var spaceOnDisk = false
    var rest = plan
    while let key = rest.firstRange(of: "\"") {
      rest = rest[key.upperBound...]
      guard let close = rest.firstIndex(of: "\"") else { break }
      let name = rest[..<close]
      rest = rest[rest.index(after: close)...]
      guard rest.hasPrefix(": ") else { continue }
      let value = rest.dropFirst(2)
      func number() -> Int64 { Int64(value.prefix { $0.isNumber }) ?? 0 }
      switch name {
      case "Node Type":
        table = nil
        spaceUsed = nil
        spaceOnDisk = false
        if jsonString(after: "", in: value).map({ $0 == "Seq Scan" }) ?? false { table = "" }
      case "Relation Name":
        if table == "", let relation = jsonString(after: "", in: value) {
          table = relation
          facts.seqScans[relation, default: SeqScan()].scans += 1
        }
      case "Rows Removed by Filter":
        if let table, !table.isEmpty { facts.seqScans[table]!.rowsRemoved += number() }
      case "Sort Method":
        if let method = jsonString(after: "", in: value) { facts.sortMethods[method, default: 0] += 1 }
      case "Sort Space Type":
        spaceOnDisk = jsonString(after: "", in: value) == "Disk"
        if spaceOnDisk, let used = spaceUsed { facts.sortDiskKB += used }
      case "Sort Space Used":
        spaceUsed = number()
        if spaceOnDisk { facts.sortDiskKB += number() }
      case "Temp Written Blocks":
        facts.tempBlocksWritten += number()
      default:
        break
      }
    }
  }

  /// The JSON string right after `marker` (escapes decoded).
  static func jsonString(after marker: String, in text: Substring) -> String? {
    var rest = text
    if !marker.isEmpty {
      guard let range = text.firstRange(of: marker) else { return nil }
      rest = text[range.upperBound...]
    }
    guard rest.first == "\"" else { return nil }
    var out = ""
    var escaped = false
    for c in rest.dropFirst() {
      if escaped {
        switch c {
        case "n": out.append("\n")
        case "t": out.append("\t")
        case "r": out.append("\r")
        default: out.append(c)
        }
        escaped = false
      } else if c == "\\" {
        escaped = true
      } else if c == "\"" {
        return out
      } else {
        out.append(c)
      }
    }
    return nil
  }
}
