// What reading gave before any report: the aggregate, the files and the problems met. `--save-state` writes
// it; `pgsift merge` reads several and adds them up, which gives the report one run over all their inputs
// would have given. This is how a fleet is analyzed: each host aggregates its own logs, a central job merges.
import Foundation
import LogInput
import LogReading
import OutputFiles
import Statistics

public struct PartialRun: Codable {
  /// Bumped whenever the layout changes; a file of another version is refused, not misread.
  /// 2: application-pattern bursts, OFFSETs, connect times and SQLSTATEs were added.
  /// 3: percentile histograms saved as their non-empty buckets; files carry the hash of their first bytes.
  public static let formatVersion = 3
  /// The largest saved state read: a fleet part of pgsift's fingerprint budget is far smaller, and reading
  /// takes about four times a part's size in memory.
  public static let maxBytes = 512 << 20

  public var aggregate: StatementAggregator
  public var files: [FileSummary]
  public var diagnostics: Diagnostics
  /// libpg_query calls and fingerprint lookups, for the curious; not part of the report.
  public var parserCalls = 0
  public var fingerprintLookups = 0
  /// The pgsift that read it (`pgsift 0.1.0`), saved with the run.
  public var generator: String?
  /// What the filters (--database, --exclude-query, …) kept and left out, saved with the run so that a merged
  /// report says it too; nil when nothing was filtered.
  public var filters: String?
  /// With --state: how far each file is read now, to be written only once every output of the run is (see
  /// the analysis' `commitState`). Not saved with the run.
  public var pendingState: ReadState?

  public init(
    aggregate: StatementAggregator, files: [FileSummary], diagnostics: Diagnostics, parserCalls: Int = 0,
    fingerprintLookups: Int = 0
  ) {
    self.aggregate = aggregate
    self.files = files
    self.diagnostics = diagnostics
    self.parserCalls = parserCalls
    self.fingerprintLookups = fingerprintLookups
  }

  public struct LoadError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
  }

  enum CodingKeys: String, CodingKey {
    case pgsiftState = "pgsift_state", generator, aggregate, files, diagnostics, filters
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let version = try c.decode(Int.self, forKey: .pgsiftState)
    guard version == Self.formatVersion else {
      throw DecodingError.dataCorruptedError(
        forKey: .pgsiftState, in: c,
        debugDescription: "saved by a pgsift with state format \(version); this one reads \(Self.formatVersion)")
    }
    aggregate = try c.decode(StatementAggregator.self, forKey: .aggregate)
    files = try c.decode([FileSummary].self, forKey: .files)
    diagnostics = try c.decode(Diagnostics.self, forKey: .diagnostics)
    generator = try c.decodeIfPresent(String.self, forKey: .generator)
    filters = try c.decodeIfPresent(String.self, forKey: .filters)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(Self.formatVersion, forKey: .pgsiftState)
    try c.encode(generator, forKey: .generator)
    try c.encode(aggregate, forKey: .aggregate)
    try c.encode(files, forKey: .files)
    try c.encode(diagnostics, forKey: .diagnostics)
    try c.encodeIfPresent(filters, forKey: .filters)
  }

  /// Adds a run over inputs that come after this run's, as if one run had read them all in that order.
  /// Runs with different slow thresholds cannot be added: their slow counts mean different things.
  public mutating func append(_ other: PartialRun) throws(LoadError) {
    guard other.aggregate.thresholdUs == aggregate.thresholdUs else {
      throw LoadError(
        path: other.files.first?.path ?? "-",
        message:
          "slow threshold \(Double(other.aggregate.thresholdUs) / 1000) ms differs from "
          + "\(Double(aggregate.thresholdUs) / 1000) ms; save every part with the same --threshold")
    }
    guard other.filters == filters else {
      throw LoadError(
        path: other.files.first?.path ?? "-",
        message:
          "saved with \(other.filters.map { "filters (\($0))" } ?? "no filter"), the parts before with "
          + "\(filters.map { "filters (\($0))" } ?? "none"); save every part with the same filters")
    }
    guard other.aggregate.timeSeries.baseMs == aggregate.timeSeries.baseMs else {
      throw LoadError(
        path: other.files.first?.path ?? "-",
        message:
          "time series interval \(Double(other.aggregate.timeSeries.baseMs) / 1000) s differs from "
          + "\(Double(aggregate.timeSeries.baseMs) / 1000) s; save every part with the same --interval")
    }
    // A part that covers bytes of a file another part covers too would count them twice: the same part given
    // twice, or two runs over one stretch of a log.
    for file in other.files {
      guard let head = file.headHash, file.bytes > 0 else { continue }
      let range = file.resumedAt..<(file.resumedAt + file.bytes)
      if let earlier = files.first(where: { earlier in
        earlier.headHash == head && earlier.bytes > 0
          && (earlier.resumedAt..<(earlier.resumedAt + earlier.bytes)).overlaps(range)
      }) {
        throw LoadError(
          path: file.path,
          message:
            "covers bytes \(range.lowerBound)–\(range.upperBound) of the log that \(earlier.path) starts (bytes "
            + "\(earlier.resumedAt)–\(earlier.resumedAt + earlier.bytes) of it were merged already): merging would "
            + "count them twice")
      }
    }
    var later = other.aggregate
    later.shiftFiles(by: files.count)
    aggregate.merge(later)
    files += other.files
    diagnostics.merge(other.diagnostics)
    parserCalls += other.parserCalls
    fingerprintLookups += other.fingerprintLookups
  }

  /// The run with no literal value in it, as --redact saves it: statements normalized, messages without values,
  /// examples, parameters, plans and error details left out (a merge of redacted parts writes the report a
  /// redacted analyze would).
  public func redacted() -> PartialRun {
    var run = self
    run.aggregate.redact()
    run.diagnostics.redactMessages(LiteralRedaction.message)
    return run
  }

  /// Writes the run as JSON, durably (a reader never sees half a file; the old one stays whole until the new one
  /// is on disk).
  public func save(to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = try encoder.encode(self)
    try DurableFile.write([UInt8](data), to: path)
  }

  public static func load(_ path: String) throws(LoadError) -> PartialRun {
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    guard size <= maxBytes else {
      throw LoadError(
        path: path, message: "is \(size >> 20) MiB, more than the \(maxBytes >> 20) MiB a saved state may be; not read")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw LoadError(path: path, message: "cannot read the saved state")
    }
    let run: PartialRun
    do {
      run = try JSONDecoder().decode(PartialRun.self, from: data)
    } catch let error as DecodingError {
      throw LoadError(path: path, message: "not a pgsift --save-state file: \(describe(error))")
    } catch {
      throw LoadError(path: path, message: "not a pgsift --save-state file: \(error)")
    }
    // Untrusted input: every figure is checked before anything adds it up.
    do {
      try run.aggregate.checkSaved(files: run.files.count)
      for (i, file) in run.files.enumerated() {
        for value in [
          file.bytes, file.lines, file.entries, file.skippedLines, file.blankLines, file.invalidUTF8Lines,
          file.resumedAt, file.resumedLine, file.outsideWindow, file.filteredRecords, file.otherProgramLines,
          file.headLength,
        ] where !(0...(1 << 50)).contains(value) {
          throw SavedStateProblem(field: "files[\(i)]", value: "\(value)")
        }
      }
      for (kind, count) in run.diagnostics.counts where !(0...(1 << 40)).contains(count) {
        throw SavedStateProblem(field: "diagnostics.\(kind.rawValue)", value: "\(count)")
      }
    } catch {
      throw LoadError(path: path, message: "not a saved state pgsift wrote: \(error)")
    }
    return run
  }

  private static func describe(_ error: DecodingError) -> String {
    switch error {
    case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
      .valueNotFound(_, let context):
      let path = context.codingPath.map(\.stringValue).joined(separator: ".")
      return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
    @unknown default:
      return "\(error)"
    }
  }
}
