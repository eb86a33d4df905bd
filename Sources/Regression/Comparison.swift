// Compares two analyze reports (baseline, current) and checks the current one against a budget.
import AppPatterns
import Foundation
import Reports

public struct Comparison: Codable, Sendable {
  public static let currentSchemaVersion = 1

  public var schemaVersion = Comparison.currentSchemaVersion
  /// `pass` or `fail`.
  public var verdict: String
  public var baseline: RunFigures
  public var current: RunFigures
  /// One check per budget that is on, in a fixed order.
  public var checks: [Check]
  public var newSlow: [QueryChange]
  public var regressed: [QueryChange]
  public var callsMultiplied: [QueryChange]
  public var improved: [QueryChange]
  public var gone: [QueryChange]
  public var newQueries: [QueryChange]
  /// Migrations and maintenance of the current run (DDL, VACUUM, ANALYZE, CHECKPOINT, …): listed, not judged
  /// (unless the budget's `judge_maintenance`).
  public var maintenance: [QueryChange] = []

  public var passed: Bool { verdict == "pass" }

  enum CodingKeys: String, CodingKey {
    case schemaVersion = "schema_version", verdict, baseline, current, checks, newSlow = "new_slow", regressed
    case callsMultiplied = "calls_multiplied", improved, gone, newQueries = "new_queries", maintenance
  }

  public struct RunFigures: Codable, Sendable {
    public var path: String
    public var statements: Int
    public var slowStatements: Int
    public var totalMs: Double
    public var slowShare: Double
    public var fingerprints: Int
    public var first: String?
    public var last: String?

    enum CodingKeys: String, CodingKey {
      case path, statements, slowStatements = "slow_statements", totalMs = "total_ms", slowShare = "slow_share"
      case fingerprints, first, last
    }
  }

  public struct Check: Codable, Sendable {
    /// `counted-input` (always on: each run read a log record), or the flag's name: `max-p95-increase`, `max-mean-increase`, `max-new-slow`, `max-calls-factor`,
    /// `max-slow-share`, `max-total-increase`.
    public var name: String
    public var limit: String
    public var passed: Bool
    /// One line per query (or figure) over the limit.
    public var failures: [String]
    public var summary: String
  }

  public struct QueryChange: Codable, Sendable {
    public var fingerprint: String
    public var normalized: String
    public var baseline: Figures?
    public var current: Figures?
    /// Relative change of p95 and mean (0.5 = +50%), calls as a factor.
    public var p95Change: Double?
    public var meanChange: Double?
    public var callsFactor: Double?
    /// The allowance that applied, if any.
    public var allowance: String?
    /// How sure the rise is not noise: 1 − the one-sided p-value of a Mann–Whitney test of the two runs'
    /// durations (from their histograms); nil when a report has no histogram for the query.
    public var confidence: Double?
    /// For calls multiplied: the factor beyond the whole run's growth (the calls factor divided by how much the
    /// run's statements grew, when they grew), and the other multiplied queries that grew by about the same
    /// factor (within 10%): one loop's queries, or one feature's.
    public var relativeCallsFactor: Double?
    public var grewWith: [String]?

    enum CodingKeys: String, CodingKey {
      case fingerprint, normalized, baseline, current, p95Change = "p95_change", meanChange = "mean_change"
      case callsFactor = "calls_factor", allowance, confidence, relativeCallsFactor = "relative_calls_factor"
      case grewWith = "grew_with"
    }
  }

  public struct Figures: Codable, Sendable {
    public var calls: Int
    public var slowCalls: Int
    public var totalMs: Double
    public var meanMs: Double?
    public var p95Ms: Double?

    enum CodingKeys: String, CodingKey {
      case calls, slowCalls = "slow_calls", totalMs = "total_ms", meanMs = "mean_ms", p95Ms = "p95_ms"
    }

    init(_ query: Query) {
      calls = query.calls
      slowCalls = query.slowCalls
      totalMs = query.totalMs
      meanMs = query.meanMs
      p95Ms = query.p95Ms
    }
  }
}

public enum Comparer {
  /// A rise smaller than this many milliseconds is never a regression, whatever its percentage.
  public static let minimumDeltaMs = 1.0

  public static func compare(
    baseline: AnalysisReport, baselinePath: String, current: AnalysisReport, currentPath: String, budget: Budget
  ) -> Comparison {
    let before = Dictionary(baseline.queries.map { ($0.fingerprint, $0) }) { a, _ in a }
    let after = Dictionary(current.queries.map { ($0.fingerprint, $0) }) { a, _ in a }
    var newSlow: [Comparison.QueryChange] = []
    var newQueries: [Comparison.QueryChange] = []
    var regressed: [Comparison.QueryChange] = []
    var improved: [Comparison.QueryChange] = []
    var multiplied: [Comparison.QueryChange] = []
    var gone: [Comparison.QueryChange] = []
    var p95Failures: [String] = []
    var meanFailures: [String] = []
    var callsFailures: [String] = []

    var maintenance: [Comparison.QueryChange] = []
    // Calls that grew with the whole run (a longer test, more traffic) did not multiply.
    let runGrowth =
      baseline.summary.statements > 0 && current.summary.statements > baseline.summary.statements
      ? Double(current.summary.statements) / Double(baseline.summary.statements) : 1
    for query in current.queries where query.calls > 0 {
      // Migrations and maintenance are not queries that regressed; transaction control only on request.
      let category = StatementCategory.of(query.normalized)
      if (category == .ddl || category == .maintenance) && !budget.judgeMaintenance {
        maintenance.append(change(query.fingerprint, query.normalized, before[query.fingerprint], query))
        continue
      }
      if category == .transaction && !budget.judgeTransactionControl { continue }
      let allowance = budget.allowance(fingerprint: query.fingerprint, normalized: query.normalized)
      let allowanceText = allowance.map(describe)
      guard let old = before[query.fingerprint], old.calls > 0 else {
        var change = change(query.fingerprint, query.normalized, nil, query)
        change.allowance = allowanceText
        if query.slowCalls > 0 && !(allowance?.exempts ?? false) {
          newSlow.append(change)
        } else {
          newQueries.append(change)
        }
        continue
      }
      var change = change(query.fingerprint, query.normalized, old, query)
      change.allowance = allowanceText
      if allowance?.exempts == true { continue }
      guard old.calls >= budget.minCalls && query.calls >= budget.minCalls else { continue }
      // A rise counts only when the durations really moved: unlikely under noise, given each side's calls.
      let pValue = Self.pValueLarger(old.histogram, query.histogram)
      change.confidence = pValue.map { Self.round4(1 - $0) }
      let significant = pValue.map { $0 < budget.significance } ?? true
      var isRegression = false
      if let limit = allowance?.maxP95Increase ?? budget.maxP95Increase, let rise = change.p95Change,
        let oldP95 = old.p95Ms, let newP95 = query.p95Ms, newP95 - oldP95 >= budget.minChangeMs, rise > limit,
        significant
      {
        isRegression = true
        p95Failures.append(
          "\(query.fingerprint): p95 \(ms(oldP95)) -> \(ms(newP95)) ms (\(percent(rise)), limit \(percent(limit)))"
            + Self.confidenceText(change.confidence))
      }
      if let limit = allowance?.maxMeanIncrease ?? budget.maxMeanIncrease, let rise = change.meanChange,
        let oldMean = old.meanMs, let newMean = query.meanMs, newMean - oldMean >= budget.minChangeMs, rise > limit,
        significant
      {
        isRegression = true
        meanFailures.append(
          "\(query.fingerprint): mean \(ms(oldMean)) -> \(ms(newMean)) ms (\(percent(rise)), limit \(percent(limit)))"
            + Self.confidenceText(change.confidence))
      }
      if isRegression { regressed.append(change) }
      if let limit = allowance?.maxCallsFactor ?? budget.maxCallsFactor, let factor = change.callsFactor,
        factor / runGrowth > limit
      {
        change.relativeCallsFactor = round2(factor / runGrowth)
        multiplied.append(change)
      }
      if let fall = change.p95Change, fall < -(budget.maxP95Increase ?? 0.2),
        let oldP95 = old.p95Ms, let newP95 = query.p95Ms, oldP95 - newP95 >= minimumDeltaMs
      {
        improved.append(change)
      }
    }
    // Queries multiplied by about the same factor grew together: say so with each.
    for index in multiplied.indices {
      let factor = multiplied[index].relativeCallsFactor ?? 1
      let together = multiplied.filter {
        $0.fingerprint != multiplied[index].fingerprint && abs(($0.relativeCallsFactor ?? 1) / factor - 1) <= 0.1
      }.map(\.fingerprint).sorted()
      multiplied[index].grewWith = together.isEmpty ? nil : together
      let change = multiplied[index]
      let limit =
        budget.allowance(fingerprint: change.fingerprint, normalized: change.normalized)?.maxCallsFactor
        ?? budget.maxCallsFactor ?? 0
      callsFailures.append(
        "\(change.fingerprint): calls \(change.baseline!.calls) -> \(change.current!.calls) (x\(round2(change.callsFactor!))"
          + (runGrowth > 1 ? ", x\(round2(factor)) beyond the run's x\(round2(runGrowth))" : "")
          + ", limit x\(round2(limit)))"
          + (together.isEmpty ? "" : "; grew together with \(together.joined(separator: ", "))"))
    }
    for query in baseline.queries where query.calls > 0 && (after[query.fingerprint]?.calls ?? 0) == 0 {
      gone.append(change(query.fingerprint, query.normalized, query, nil))
    }

    let baseFigures = figures(baseline, path: baselinePath)
    let currentFigures = figures(current, path: currentPath)
    // Always on: a run that read nothing (an empty or unreadable log, the wrong file) compares as "no query got
    // slower" and would pass every budget.
    var checks = [countedInput(baseline: baseline, current: current)]
    if let limit = budget.maxNewSlow {
      checks.append(
        Comparison.Check(
          name: "max-new-slow", limit: String(limit), passed: newSlow.count <= limit,
          failures: newSlow.count > limit
            ? newSlow.map { "\($0.fingerprint): new, \($0.current!.slowCalls) slow calls: \(oneLine($0.normalized))" }
            : [],
          summary: "\(newSlow.count) new slow \(newSlow.count == 1 ? "query" : "queries") (limit \(limit))"))
    }
    if let limit = budget.maxP95Increase {
      checks.append(perQuery("max-p95-increase", "+" + percent(limit), p95Failures, what: "p95 rose"))
    }
    if let limit = budget.maxMeanIncrease {
      checks.append(perQuery("max-mean-increase", "+" + percent(limit), meanFailures, what: "mean rose"))
    }
    if let limit = budget.maxCallsFactor {
      checks.append(perQuery("max-calls-factor", "x" + String(round2(limit)), callsFailures, what: "calls multiplied"))
    }
    if let limit = budget.maxSlowShare {
      let share = currentFigures.slowShare
      checks.append(
        Comparison.Check(
          name: "max-slow-share", limit: percent(limit), passed: share <= limit,
          failures: share <= limit ? [] : ["slow share \(percent(share)) (baseline \(percent(baseFigures.slowShare)))"],
          summary: "slow share \(percent(share)) (limit \(percent(limit)))"))
    }
    if let limit = budget.maxTotalIncrease {
      let rise = baseFigures.totalMs > 0 ? (currentFigures.totalMs - baseFigures.totalMs) / baseFigures.totalMs : 0
      checks.append(
        Comparison.Check(
          name: "max-total-increase", limit: "+" + percent(limit), passed: rise <= limit,
          failures: rise <= limit
            ? [] : ["total \(ms(baseFigures.totalMs)) -> \(ms(currentFigures.totalMs)) ms (\(percent(rise)))"],
          summary: "total time \(rise >= 0 ? "+" : "")\(percent(rise)) (limit +\(percent(limit)))"))
    }
    let byTime: (Comparison.QueryChange, Comparison.QueryChange) -> Bool = {
      ($0.current?.totalMs ?? $0.baseline?.totalMs ?? 0) > ($1.current?.totalMs ?? $1.baseline?.totalMs ?? 0)
    }
    return Comparison(
      verdict: checks.allSatisfy(\.passed) ? "pass" : "fail", baseline: baseFigures, current: currentFigures,
      checks: checks, newSlow: newSlow.sorted(by: byTime), regressed: regressed.sorted(by: byTime),
      callsMultiplied: multiplied.sorted(by: byTime), improved: improved.sorted(by: byTime),
      gone: gone.sorted(by: byTime),
      newQueries: newQueries.sorted(by: byTime), maintenance: maintenance.sorted(by: byTime))
  }

  static func countedInput(baseline: AnalysisReport, current: AnalysisReport) -> Comparison.Check {
    func failure(_ report: AnalysisReport, _ which: String) -> String? {
      let records = report.input.files.reduce(0) { $0 + $1.entries }
      if report.input.problems["nothing_counted"] != nil || records == 0 {
        return "the \(which) run read no log record (\(report.input.files.count) files)"
      }
      return nil
    }
    let failures = [failure(baseline, "baseline"), failure(current, "current")].compactMap { $0 }
    return Comparison.Check(
      name: "counted-input", limit: "a record in each run", passed: failures.isEmpty, failures: failures,
      summary: failures.isEmpty ? "both runs read log records" : failures.joined(separator: "; "))
  }

  static func perQuery(_ name: String, _ limit: String, _ failures: [String], what: String) -> Comparison.Check {
    Comparison.Check(
      name: name, limit: limit, passed: failures.isEmpty, failures: failures,
      summary: failures.isEmpty
        ? "no query over \(limit)"
        : "\(failures.count) \(failures.count == 1 ? "query" : "queries"): \(what) over \(limit)")
  }

  /// The one-sided p-value that `current`'s durations are larger than `baseline`'s: a Mann–Whitney U test
  /// on the bucketed durations (a duration in a lower bucket is smaller, in the same bucket a tie), with the
  /// normal approximation, tie correction and continuity correction. Nil when either side has no histogram.
  public static func pValueLarger(_ baseline: [HistogramBucket]?, _ current: [HistogramBucket]?) -> Double? {
    guard let baseline, let current else { return nil }
    var counts: [Double: (base: Double, current: Double)] = [:]
    for bucket in baseline { counts[bucket.upperMs, default: (0, 0)].base += Double(bucket.count) }
    for bucket in current { counts[bucket.upperMs, default: (0, 0)].current += Double(bucket.count) }
    let n1 = counts.values.reduce(0) { $0 + $1.base }
    let n2 = counts.values.reduce(0) { $0 + $1.current }
    guard n1 > 0, n2 > 0 else { return nil }
    var below = 0.0
    var u = 0.0
    var ties = 0.0
    for key in counts.keys.sorted() {
      let (a, c) = counts[key]!
      u += c * (below + a / 2)
      below += a
      let t = a + c
      ties += t * t * t - t
    }
    let n = n1 + n2
    let variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    guard variance > 0 else { return 0.5 }
    let z = (u - n1 * n2 / 2 - 0.5) / variance.squareRoot()
    return 0.5 * erfc(z / 2.0.squareRoot())
  }

  static func round4(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }

  static func confidenceText(_ confidence: Double?) -> String {
    guard let confidence else { return "" }
    return confidence >= 0.9999 ? ", confidence > 99.99%" : ", confidence \(percent(confidence))"
  }

  static func change(
    _ fingerprint: String, _ normalized: String, _ old: Query?, _ new: Query?
  ) -> Comparison.QueryChange {
    func rise(_ a: Double?, _ b: Double?) -> Double? {
      guard let a, let b, a > 0 else { return nil }
      return (b - a) / a
    }
    return Comparison.QueryChange(
      fingerprint: fingerprint, normalized: normalized, baseline: old.map(Comparison.Figures.init),
      current: new.map(Comparison.Figures.init), p95Change: rise(old?.p95Ms, new?.p95Ms),
      meanChange: rise(old?.meanMs, new?.meanMs),
      callsFactor: (old?.calls ?? 0) > 0 && new != nil ? Double(new!.calls) / Double(old!.calls) : nil, allowance: nil)
  }

  static func figures(_ report: AnalysisReport, path: String) -> Comparison.RunFigures {
    let s = report.summary
    return Comparison.RunFigures(
      path: path, statements: s.statements, slowStatements: s.slowStatements, totalMs: s.totalMs,
      slowShare: s.statements > 0 ? Double(s.slowStatements) / Double(s.statements) : 0,
      fingerprints: s.fingerprints, first: s.first, last: s.last)
  }

  static func describe(_ allowance: Budget.Allowance) -> String {
    var text: String
    switch allowance.match {
    case .fingerprint(let value): text = "fingerprint \(value)"
    case .pattern(let value): text = "pattern /\(value)/"
    }
    if let reason = allowance.reason { text += ": \(reason)" }
    return text
  }

  static func ms(_ value: Double) -> String { String(format: "%.3f", value) }
  static func percent(_ fraction: Double) -> String { String(format: "%.1f%%", fraction * 100) }
  static func round2(_ value: Double) -> Double { (value * 100).rounded() / 100 }
  static func oneLine(_ text: String) -> String {
    let single = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    return single.count > 100 ? String(single.prefix(99)) + "…" : single
  }
}
