// What reading gave before any report: the aggregate, the files and the problems met. `--save-state` writes
// it; `pgsift merge` reads several and adds them up, which gives the report one run over all their inputs
// would have given. This is how a fleet is analyzed: each host aggregates its own logs, a central job merges.
import Foundation
import LogInput
import Reports
import Statistics

public struct PartialRun: Codable {
  /// Bumped whenever the layout changes; a file of another version is refused, not misread.
  /// 2: application-pattern bursts, OFFSETs, connect times and SQLSTATEs were added.
  public static let formatVersion = 2

  public var aggregate: StatementAggregator
  public var files: [FileSummary]
  public var diagnostics: Diagnostics
  /// libpg_query calls and fingerprint lookups, for the curious; not part of the report.
  public var parserCalls = 0
  public var fingerprintLookups = 0

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
    case pgsiftState = "pgsift_state", generator, aggregate, files, diagnostics
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
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(Self.formatVersion, forKey: .pgsiftState)
    try c.encode("pgsift \(Analyzer.version)", forKey: .generator)
    try c.encode(aggregate, forKey: .aggregate)
    try c.encode(files, forKey: .files)
    try c.encode(diagnostics, forKey: .diagnostics)
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
    guard other.aggregate.timeSeries.baseMs == aggregate.timeSeries.baseMs else {
      throw LoadError(
        path: other.files.first?.path ?? "-",
        message:
          "time series interval \(Double(other.aggregate.timeSeries.baseMs) / 1000) s differs from "
          + "\(Double(aggregate.timeSeries.baseMs) / 1000) s; save every part with the same --interval")
    }
    var later = other.aggregate
    later.shiftFiles(by: files.count)
    aggregate.merge(later)
    files += other.files
    diagnostics.merge(other.diagnostics)
    parserCalls += other.parserCalls
    fingerprintLookups += other.fingerprintLookups
  }

  /// Writes the run as JSON (atomically: a reader never sees half a file).
  public func save(to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = try encoder.encode(self)
    try data.write(to: URL(fileURLWithPath: path), options: .atomic)
  }

  public static func load(_ path: String) throws(LoadError) -> PartialRun {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw LoadError(path: path, message: "cannot read the saved state")
    }
    do {
      return try JSONDecoder().decode(PartialRun.self, from: data)
    } catch let error as DecodingError {
      throw LoadError(path: path, message: "not a pgsift --save-state file: \(describe(error))")
    } catch {
      throw LoadError(path: path, message: "not a pgsift --save-state file: \(error)")
    }
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
