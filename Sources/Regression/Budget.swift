// The limits a run must stay within against its baseline, from flags or a small JSON file in the user's repo.
import Foundation

public struct Budget: Sendable, Equatable {
  /// Largest allowed rise of a query's p95, as a fraction (0.2 = 20%).
  public var maxP95Increase: Double? = 0.2
  /// Largest allowed rise of a query's mean.
  public var maxMeanIncrease: Double? = 0.2
  /// How many new fingerprints with slow calls are allowed.
  public var maxNewSlow: Int? = 0
  /// Largest factor by which a query's calls may grow (an N+1 loop multiplies them).
  public var maxCallsFactor: Double? = 2
  /// Largest share of statements at or over the threshold in the current run, as a fraction.
  public var maxSlowShare: Double? = nil
  /// Largest rise of total statement time, as a fraction.
  public var maxTotalIncrease: Double? = nil
  /// Queries with fewer calls than this (in either run) are not judged on p95, mean or calls: too noisy.
  public var minCalls: Int = 10
  /// Whether BEGIN, COMMIT and the like are judged on the per-query limits (off: their time is the time of the
  /// work inside the transaction, already judged in its own statements).
  public var judgeTransactionControl = false
  /// Whether migrations and maintenance (DDL, VACUUM, ANALYZE, CHECKPOINT, …) are judged (off: listed apart).
  public var judgeMaintenance = false
  /// A rise of p95 or mean past the limit is a regression only when a bootstrap of its ratio from the two runs'
  /// histograms gives a one-sided p-value under this (0.01: one chance in a hundred that chance alone took it
  /// past the limit), shared among the tests as `correction` says.
  public var significance = 0.01
  /// …and only when it is at least this many milliseconds: smaller rises are never regressions.
  public var minChangeMs = 2.0
  /// How the significance level is shared among the queries judged: with Holm's step-down correction (the
  /// default) the chance that noise alone fails the gate stays under `significance` however many queries there
  /// are; with none, each query is tested at `significance` on its own.
  public var correction = Correction.holm

  public enum Correction: String, Sendable, Equatable, CaseIterable {
    case holm, none
  }
  public var allowances: [Allowance] = []

  public init() {}

  /// An exception for some queries: exempt from every per-query limit, or with limits of its own.
  public struct Allowance: Sendable, Equatable {
    /// A fingerprint, or a regular expression matched against the normalized text.
    public enum Match: Sendable, Equatable {
      case fingerprint(String)
      case pattern(String)
    }
    public var match: Match
    public var maxP95Increase: Double?
    public var maxMeanIncrease: Double?
    public var maxCallsFactor: Double?
    public var reason: String?

    public init(
      match: Match, maxP95Increase: Double? = nil, maxMeanIncrease: Double? = nil,
      maxCallsFactor: Double? = nil, reason: String? = nil
    ) {
      self.match = match
      self.maxP95Increase = maxP95Increase
      self.maxMeanIncrease = maxMeanIncrease
      self.maxCallsFactor = maxCallsFactor
      self.reason = reason
    }

    /// Whether this allowance sets no limit of its own, which exempts the query entirely.
    public var exempts: Bool { maxP95Increase == nil && maxMeanIncrease == nil && maxCallsFactor == nil }

    func matches(fingerprint: String, normalized: String) -> Bool {
      switch match {
      case .fingerprint(let value): return value.lowercased() == fingerprint
      case .pattern(let expression):
        return (try? NSRegularExpression(pattern: expression))?.firstMatch(
          in: normalized, range: NSRange(normalized.startIndex..., in: normalized)) != nil
      }
    }
  }

  public func allowance(fingerprint: String, normalized: String) -> Allowance? {
    allowances.first { $0.matches(fingerprint: fingerprint, normalized: normalized) }
  }

  // MARK: - Reading

  public struct FileError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
  }

  /// Reads a percentage (`20%`, `0.2`, `20`) as a fraction: a bare number above 1 is taken as percent.
  public static func fraction(_ text: String) -> Double? {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed.hasSuffix("%") { return Double(trimmed.dropLast()).map { $0 / 100 } }
    guard let value = Double(trimmed) else { return nil }
    return value > 1 ? value / 100 : value
  }

  /// Reads a factor (`2`, `2x`, `200%`).
  public static func factor(_ text: String) -> Double? {
    let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
    if trimmed.hasSuffix("x") { return Double(trimmed.dropLast()) }
    if trimmed.hasSuffix("%") { return Double(trimmed.dropLast()).map { $0 / 100 } }
    return Double(trimmed)
  }

  /// Applies a budget file (JSON) on top of this budget. Keys use the flag names with `_`:
  /// `max_p95_increase`, `max_mean_increase`, `max_new_slow`, `max_calls_factor`, `max_slow_share`,
  /// `max_total_increase`, `min_calls`, `significance`, `min_change_ms`, `correction` (`holm` or `none`),
  /// `judge_transaction_control`, `judge_maintenance` (true or false), and
  /// `allow`: a list of `{fingerprint | pattern, max_p95_increase?, max_mean_increase?, max_calls_factor?,
  /// reason?}`. A limit of `null` turns it off.
  public mutating func apply(file path: String) throws(FileError) {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw FileError(message: "\(path): cannot read the budget file")
    }
    guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
      throw FileError(message: "\(path): not a JSON object")
    }
    func limit(_ key: String, _ parse: (String) -> Double?) throws(FileError) -> Double?? {
      guard let value = object[key] else { return .none }
      if value is NSNull { return .some(nil) }
      let text = (value as? String) ?? (value as? NSNumber).map { "\($0)" } ?? ""
      guard let parsed = parse(text) else { throw FileError(message: "\(path): \(key): cannot read '\(text)'") }
      return .some(parsed)
    }
    let known: Set<String> = [
      "max_p95_increase", "max_mean_increase", "max_new_slow", "max_calls_factor", "max_slow_share",
      "max_total_increase", "min_calls", "allow", "judge_transaction_control", "judge_maintenance", "significance",
      "min_change_ms", "correction",
    ]
    if let unknown = object.keys.first(where: { !known.contains($0) }) {
      throw FileError(message: "\(path): unknown key '\(unknown)'")
    }
    if let value = try limit("max_p95_increase", Self.fraction) { maxP95Increase = value }
    if let value = try limit("max_mean_increase", Self.fraction) { maxMeanIncrease = value }
    if let value = try limit("max_calls_factor", Self.factor) { maxCallsFactor = value }
    if let value = try limit("max_slow_share", Self.fraction) { maxSlowShare = value }
    if let value = try limit("max_total_increase", Self.fraction) { maxTotalIncrease = value }
    if let value = try limit("max_new_slow", { Double($0) }) { maxNewSlow = value.map { Int($0) } }
    if let value = try limit("min_calls", { Double($0) }) { minCalls = Int(value ?? 0) }
    if let value = try limit("significance", { Double($0) }) {
      guard let value, value > 0, value < 1 else {
        throw FileError(message: "\(path): significance: a p-value between 0 and 1")
      }
      significance = value
    }
    if let value = try limit("min_change_ms", { Double($0) }) {
      guard let value, value >= 0 else { throw FileError(message: "\(path): min_change_ms: milliseconds, 0 or more") }
      minChangeMs = value
    }
    if let value = object["correction"] {
      guard let name = value as? String, let chosen = Correction(rawValue: name) else {
        throw FileError(message: "\(path): correction: \"holm\" or \"none\"")
      }
      correction = chosen
    }
    if let value = object["judge_transaction_control"] {
      guard let on = value as? Bool else {
        throw FileError(message: "\(path): judge_transaction_control: true or false")
      }
      judgeTransactionControl = on
    }
    if let value = object["judge_maintenance"] {
      guard let on = value as? Bool else { throw FileError(message: "\(path): judge_maintenance: true or false") }
      judgeMaintenance = on
    }
    if let list = object["allow"] {
      guard let entries = list as? [[String: Any]] else { throw FileError(message: "\(path): allow: expected a list") }
      for entry in entries {
        let match: Allowance.Match
        if let fingerprint = entry["fingerprint"] as? String {
          match = .fingerprint(fingerprint)
        } else if let pattern = entry["pattern"] as? String {
          guard (try? NSRegularExpression(pattern: pattern)) != nil else {
            throw FileError(message: "\(path): allow: pattern '\(pattern)' is not a regular expression")
          }
          match = .pattern(pattern)
        } else {
          throw FileError(message: "\(path): allow: each entry needs a fingerprint or a pattern")
        }
        func number(_ key: String, _ parse: (String) -> Double?) -> Double? {
          guard let value = entry[key] else { return nil }
          return parse((value as? String) ?? (value as? NSNumber).map { "\($0)" } ?? "")
        }
        allowances.append(
          Allowance(
            match: match, maxP95Increase: number("max_p95_increase", Self.fraction),
            maxMeanIncrease: number("max_mean_increase", Self.fraction),
            maxCallsFactor: number("max_calls_factor", Self.factor), reason: entry["reason"] as? String))
      }
    }
  }
}
