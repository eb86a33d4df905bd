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
  /// Every baseline run, newest (`baseline`) first, when there were several.
  public var baselines: [RunFigures]? = nil
  /// The queries judged on p95 and mean with a significance test, which share the significance level, and how
  /// (`holm` or `none`).
  public var testedQueries = 0
  /// The tests made (a query's p95 and its mean are two), which share the significance level.
  public var tests = 0
  public var correction = "holm"
  /// The newest baseline run's drift to this one: the median ratio of its queries' p95 and mean, at least 1.
  public var drift: [Double]? = nil

  public var passed: Bool { verdict == "pass" }

  enum CodingKeys: String, CodingKey {
    case schemaVersion = "schema_version", verdict, baseline, current, checks, newSlow = "new_slow", regressed
    case callsMultiplied = "calls_multiplied", improved, gone, newQueries = "new_queries", maintenance
    case baselines, testedQueries = "tested_queries", tests, correction, drift
  }

  /// A query's noise band over several baseline runs: the lowest and highest of its figures.
  public struct Band: Codable, Sendable {
    public var runs: Int
    public var p95Ms: [Double]?
    public var meanMs: [Double]?
    public var calls: [Int]

    init(_ queries: [Query]) {
      runs = queries.count
      let p95s = queries.compactMap(\.p95Ms)
      let means = queries.compactMap(\.meanMs)
      p95Ms = p95s.isEmpty ? nil : [p95s.min()!, p95s.max()!]
      meanMs = means.isEmpty ? nil : [means.min()!, means.max()!]
      calls = [queries.map(\.calls).min()!, queries.map(\.calls).max()!]
    }

    enum CodingKeys: String, CodingKey {
      case runs, p95Ms = "p95_ms", meanMs = "mean_ms", calls
    }
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
    /// How sure the rise past the limit is not chance: 1 − the one-sided p-value of the bootstrap of its p95
    /// ratio (of its mean when it has no p95; see `RatioBootstrap`); nil when a report has no histogram for it.
    public var confidence: Double?
    /// For calls multiplied: the factor beyond the whole run's growth (the calls factor divided by how much the
    /// run's statements grew, when they grew), and the other multiplied queries that grew by about the same
    /// factor (within 10%): one loop's queries, or one feature's.
    public var relativeCallsFactor: Double?
    public var grewWith: [String]?
    /// With several baselines: the query's band over them (`baseline` is the run at its top).
    public var band: Band? = nil
    /// The whole run's growth against the baseline run its calls were judged on.
    var runGrowth: Double? = nil

    enum CodingKeys: String, CodingKey {
      case fingerprint, normalized, baseline, current, p95Change = "p95_change", meanChange = "mean_change"
      case callsFactor = "calls_factor", allowance, confidence, relativeCallsFactor = "relative_calls_factor"
      case grewWith = "grew_with", band
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
    compare(baselines: [(baseline, baselinePath)], current: current, currentPath: currentPath, budget: budget)
  }

  /// A query of the current run with the baseline runs it is judged against.
  struct Judged {
    var change: Comparison.QueryChange
    var query: Query
    /// Its figures in each baseline run that has it with enough calls, with that run's growth to this one and
    /// which baseline it is.
    var olds: [(query: Query, growth: Double, baseline: Int)]
    var allowance: Budget.Allowance?
    /// The one-sided p-values that its p95 and its mean rose past the limit, the largest against a baseline
    /// run (the rise must be unlikely against every one); nil when not tested.
    var p95PValue: Double?
    var meanPValue: Double?
  }

  /// The largest rise allowed of a statistic: the allowance's, else the budget's; nil when off.
  static func limit(_ statistic: RatioBootstrap.Statistic, _ allowance: Budget.Allowance?, _ budget: Budget) -> Double?
  {
    switch statistic {
    case .p95: return allowance?.maxP95Increase ?? budget.maxP95Increase
    case .mean: return allowance?.maxMeanIncrease ?? budget.maxMeanIncrease
    }
  }

  static func value(_ query: Query, _ statistic: RatioBootstrap.Statistic) -> Double? {
    switch statistic {
    case .p95: return query.p95Ms
    case .mean: return query.meanMs
    }
  }

  /// Compares the current run with one baseline run or several (the last runs of the main branch, newest
  /// first). With several, each query's baselines give its noise band: a rise is measured from the band's top
  /// (the baseline run with the highest p95, and the highest mean), must be significant against every baseline
  /// run, and calls multiply only when they do against every one. New and gone are judged against the newest.
  public static func compare(
    baselines: [(report: AnalysisReport, path: String)], current: AnalysisReport, currentPath: String,
    budget: Budget
  ) -> Comparison {
    precondition(!baselines.isEmpty, "compare needs a baseline")
    let baseline = baselines[0].report
    let befores = baselines.map { entry in Dictionary(entry.report.queries.map { ($0.fingerprint, $0) }) { a, _ in a } }
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
    let growths = baselines.map { entry in
      entry.report.summary.statements > 0 && current.summary.statements > entry.report.summary.statements
        ? Double(current.summary.statements) / Double(entry.report.summary.statements) : 1
    }
    var judged: [Judged] = []
    for query in current.queries where query.calls > 0 {
      // Migrations and maintenance are not queries that regressed; transaction control only on request.
      let category = StatementCategory.of(query.normalized)
      if (category == .ddl || category == .maintenance) && !budget.judgeMaintenance {
        maintenance.append(change(query.fingerprint, query.normalized, befores[0][query.fingerprint], query))
        continue
      }
      if category == .transaction && !budget.judgeTransactionControl { continue }
      let allowance = budget.allowance(fingerprint: query.fingerprint, normalized: query.normalized)
      let allowanceText = allowance.map(describe)
      let seen = befores.indices.compactMap { i in
        befores[i][query.fingerprint].flatMap { $0.calls > 0 ? ($0, growths[i], i) : nil }
      }
      guard !seen.isEmpty else {
        var change = change(query.fingerprint, query.normalized, nil, query)
        change.allowance = allowanceText
        if query.slowCalls > 0 && !(allowance?.exempts ?? false) {
          newSlow.append(change)
        } else {
          newQueries.append(change)
        }
        continue
      }
      // The band's top: the baseline run with the highest p95 is the one shown (and its mean the top's mean).
      let top = seen.max { ($0.0.p95Ms ?? 0) < ($1.0.p95Ms ?? 0) }!.0
      var change = change(query.fingerprint, query.normalized, top, query)
      change.allowance = allowanceText
      if seen.count > 1 { change.band = Comparison.Band(seen.map(\.0)) }
      if let highest = seen.compactMap(\.0.meanMs).max(), let mean = query.meanMs, highest > 0 {
        change.meanChange = (mean - highest) / highest
      }
      if allowance?.exempts == true { continue }
      let olds = seen.filter { $0.0.calls >= budget.minCalls }
      guard !olds.isEmpty && query.calls >= budget.minCalls else { continue }
      judged.append(Judged(change: change, query: query, olds: olds, allowance: allowance))
    }
    // Each baseline run's drift to this one: the median ratio of its queries' p95 (and mean). A run slower across
    // the board (a busier CI machine, a colder cache) is judged beyond its drift: a query regressed when it rose
    // past the limit on top of it.
    let drift: [[RatioBootstrap.Statistic: Double]] = baselines.indices.map { i in
      var factors: [RatioBootstrap.Statistic: Double] = [:]
      for statistic in [RatioBootstrap.Statistic.p95, .mean] {
        let ratios = judged.compactMap { item -> Double? in
          guard let old = item.olds.first(where: { $0.baseline == i }), let a = value(old.query, statistic),
            let b = value(item.query, statistic), a > 0, b > 0
          else { return nil }
          return b / a
        }.sorted()
        // Too few queries to tell the run's drift from their own changes: none is assumed.
        let median = ratios.count < 5 ? 1 : ratios[ratios.count / 2]
        factors[statistic] = max(1, median)
      }
      return factors
    }
    // A rise counts only when it is past the limit (on top of the drift) beyond what the calls of each side could
    // give by chance: a bootstrap of the ratio from the two runs' histograms, against every baseline run.
    for index in judged.indices {
      let item = judged[index]
      let seed =
        UInt64(item.query.fingerprint, radix: 16) ?? UInt64(truncatingIfNeeded: item.query.fingerprint.hashValue)
      for statistic in [RatioBootstrap.Statistic.p95, .mean] {
        guard let limit = limit(statistic, item.allowance, budget), let new = value(item.query, statistic) else {
          continue
        }
        let pValues = item.olds.map { old -> Double? in
          guard let a = value(old.query, statistic), a > 0 else { return nil }
          return RatioBootstrap.pValueAbove(
            statistic, baseline: old.query.histogram, current: item.query.histogram, observed: new / a,
            limit: drift[old.baseline][statistic]! * (1 + limit),
            seed: seed ^ (statistic == .p95 ? 0 : 0x5bd1_e995) ^ UInt64(old.baseline) &* 0x9e37_79b9)
        }
        let p = pValues.contains { $0 == nil } ? nil : pValues.compactMap { $0 }.max()
        if statistic == .p95 { judged[index].p95PValue = p } else { judged[index].meanPValue = p }
      }
      judged[index].change.confidence = (judged[index].p95PValue ?? judged[index].meanPValue).map {
        Self.round4(1 - $0)
      }
    }
    // Every test shares the significance level (Holm's step-down): the more queries, the surer each rise must be,
    // so that noise alone fails the gate with at most that chance.
    let pValues = judged.map(\.p95PValue) + judged.map(\.meanPValue)
    let tested = judged.filter { $0.p95PValue != nil || $0.meanPValue != nil }.count
    let tests = pValues.compactMap { $0 }.count
    let significant = Self.significant(pValues, level: budget.significance, correction: budget.correction)
    let corrected = budget.correction == .holm && tests > 1 ? " (Holm's correction over \(tests) tests)" : ""
    for (index, item) in judged.enumerated() {
      var change = item.change
      let query = item.query
      let allowance = item.allowance
      var isRegression = false
      let band = item.olds.count > 1 ? " (top of \(item.olds.count) baselines)" : ""
      for statistic in [RatioBootstrap.Statistic.p95, .mean] {
        // Measured from the band's top: the baseline run where it was slowest.
        guard let limit = limit(statistic, allowance, budget), let new = value(query, statistic),
          let top = item.olds.max(by: { (value($0.query, statistic) ?? 0) < (value($1.query, statistic) ?? 0) }),
          let old = value(top.query, statistic), old > 0
        else { continue }
        let factor = drift[top.baseline][statistic]!
        let p = statistic == .p95 ? item.p95PValue : item.meanPValue
        let passes = significant[statistic == .p95 ? index : judged.count + index]
        guard new - old >= budget.minChangeMs, new / (old * factor) - 1 > limit, passes else { continue }
        isRegression = true
        let name = statistic == .p95 ? "p95" : "mean"
        let beyond = factor > 1.005 ? ", x\(round2(new / old)) against the run's drift of x\(round2(factor))" : ""
        let line =
          "\(query.fingerprint): \(name) \(ms(old)) -> \(ms(new)) ms\(band) (\(percent(new / old - 1))\(beyond), "
          + "limit \(percent(limit)))" + Self.confidenceText(p.map { Self.round4(1 - $0) }) + corrected
        if statistic == .p95 { p95Failures.append(line) } else { meanFailures.append(line) }
      }
      if isRegression { regressed.append(change) }
      // Multiplied against every baseline run, beyond that run's own growth to this one.
      let factors = item.olds.map { (Double(query.calls) / Double($0.0.calls), $0.growth) }
      let least = factors.min { $0.0 / $0.1 < $1.0 / $1.1 }!
      if let limit = allowance?.maxCallsFactor ?? budget.maxCallsFactor, least.0 / least.1 > limit {
        change.callsFactor = round2(least.0)
        change.relativeCallsFactor = round2(least.0 / least.1)
        change.runGrowth = least.1
        multiplied.append(change)
      }
      // Improved: below the band's bottom.
      let bottom = item.olds.compactMap(\.0.p95Ms).min()
      if let oldP95 = bottom, oldP95 > 0, let newP95 = query.p95Ms,
        (newP95 - oldP95) / oldP95 < -(budget.maxP95Increase ?? 0.2), oldP95 - newP95 >= minimumDeltaMs
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
      let runGrowth = change.runGrowth ?? 1
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

    let baseFigures = figures(baseline, path: baselines[0].path)
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
    var comparison = Comparison(
      verdict: checks.allSatisfy(\.passed) ? "pass" : "fail", baseline: baseFigures, current: currentFigures,
      checks: checks, newSlow: newSlow.sorted(by: byTime), regressed: regressed.sorted(by: byTime),
      callsMultiplied: multiplied.sorted(by: byTime), improved: improved.sorted(by: byTime),
      gone: gone.sorted(by: byTime),
      newQueries: newQueries.sorted(by: byTime), maintenance: maintenance.sorted(by: byTime))
    if baselines.count > 1 { comparison.baselines = baselines.map { figures($0.report, path: $0.path) } }
    comparison.testedQueries = tested
    comparison.tests = tests
    comparison.drift = drift.first.map { [round2($0[.p95]!), round2($0[.mean]!)] }
    comparison.correction = budget.correction.rawValue
    return comparison
  }

  /// Which of the p-values (nil: no test, judged on the change alone) are significant at `level`: each on its
  /// own, or with Holm's step-down correction (the smallest against level/m, the next against level/(m−1), …,
  /// stopping at the first that is not).
  public static func significant(_ pValues: [Double?], level: Double, correction: Budget.Correction) -> [Bool] {
    guard correction == .holm else { return pValues.map { $0.map { $0 < level } ?? true } }
    let tested = pValues.indices.filter { pValues[$0] != nil }.sorted { pValues[$0]! < pValues[$1]! }
    var result = pValues.map { $0 == nil }
    for (rank, index) in tested.enumerated() {
      guard pValues[index]! < level / Double(tested.count - rank) else { break }
      result[index] = true
    }
    return result
  }

  /// What makes reports unfit to compare: a different slow threshold, different filters, one redacted and the
  /// other not. Each is refused unless the user says otherwise.
  public static func settingsDiffer(_ baseline: AnalysisReport, _ current: AnalysisReport) -> [String] {
    var differences: [String] = []
    if baseline.thresholdMs != current.thresholdMs {
      differences.append(
        "--threshold \(ReportBuilder.formatMs(baseline.thresholdMs)) ms and \(ReportBuilder.formatMs(current.thresholdMs)) ms "
          + "(slow counts and new slow queries do not compare)")
    }
    if baseline.input.filters != current.input.filters {
      differences.append(
        "filters \(baseline.input.filters.map { "(\($0))" } ?? "none") and \(current.input.filters.map { "(\($0))" } ?? "none") "
          + "(they did not count the same statements)")
    }
    if (baseline.isRedacted ?? false) != (current.isRedacted ?? false) {
      differences.append(
        "one report redacted (--redact) and the other not (their statements are not written alike)")
    }
    return differences
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
