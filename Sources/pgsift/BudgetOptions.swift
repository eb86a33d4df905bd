// The budget flags `compare` and `analyze --baseline` share.
import ArgumentParser
import Regression

/// A limit given on the command line: a value, or `off` (nil).
protocol SwitchableLimit: ExpressibleByArgument {
  var value: Double? { get }
  init(value: Double?)
  static func parse(_ text: String) -> Double?
}

extension SwitchableLimit {
  init?(argument: String) {
    if argument.lowercased() == "off" {
      self.init(value: nil)
    } else if let parsed = Self.parse(argument), parsed >= 0 {
      self.init(value: parsed)
    } else {
      return nil
    }
  }
}

/// A percentage: 20%, 20 or 0.2.
struct LimitArgument: SwitchableLimit {
  var value: Double?
  static func parse(_ text: String) -> Double? { Budget.fraction(text) }
}

/// A factor: 2x, 2 or 200%.
struct FactorArgument: SwitchableLimit {
  var value: Double?
  static func parse(_ text: String) -> Double? { Budget.factor(text) }
}

struct BudgetOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp("A JSON budget file (see docs/budgets.md); flags given here override it.", valueName: "file"),
    completion: .file(extensions: ["json"]))
  var budget: String?

  @Option(
    help: ArgumentHelp("Largest rise of a query's p95, e.g. 20% (default 20%; off to disable).", valueName: "percent"))
  var maxP95Increase: LimitArgument?

  @Option(help: ArgumentHelp("Largest rise of a query's mean (default 20%; off to disable).", valueName: "percent"))
  var maxMeanIncrease: LimitArgument?

  @Option(
    help: ArgumentHelp(
      "How many new queries with slow calls are allowed (default 0; off to disable).", valueName: "count"))
  var maxNewSlow: String?

  @Option(
    help: ArgumentHelp(
      "Largest factor a query's calls may grow by, e.g. 2x (default 2x; off to disable).", valueName: "factor"))
  var maxCallsFactor: FactorArgument?

  @Option(
    help: ArgumentHelp(
      "Largest share of slow statements in the current run, e.g. 5% (default off).", valueName: "percent"))
  var maxSlowShare: LimitArgument?

  @Option(help: ArgumentHelp("Largest rise of total statement time, e.g. 10% (default off).", valueName: "percent"))
  var maxTotalIncrease: LimitArgument?

  @Option(
    help: ArgumentHelp(
      "Queries with fewer calls in either run are not judged on p95, mean or calls (default 10).", valueName: "count"))
  var minCalls: Int?

  @Option(
    help: ArgumentHelp(
      "Exempt a query from the per-query limits, by fingerprint; repeatable.", valueName: "fingerprint"))
  var allow: [String] = []

  @Option(
    help: ArgumentHelp(
      "Exempt queries whose normalized text matches this regular expression; repeatable.", valueName: "regex"))
  var allowPattern: [String] = []

  @Option(
    help: ArgumentHelp(
      "A rise past the limit counts only when a bootstrap of its ratio from the two runs' histograms gives a "
        + "p-value under this, shared among the tests by --correction (default 0.01).", valueName: "p"))
  var significance: Double?

  @Option(
    name: .customLong("min-change"),
    help: ArgumentHelp("A rise counts only from this many milliseconds (default 2ms).", valueName: "duration"))
  var minChange: DurationArgument?

  @Option(
    help: ArgumentHelp(
      "How --significance is shared among the queries judged: holm (the default: noise alone fails the gate with "
        + "at most that chance, however many queries) or none (each query tested at it on its own).",
      valueName: "method"))
  var correction: Budget.Correction?

  @Flag(
    name: .customLong("allow-different-settings"),
    help: ArgumentHelp(
      "Compare reports made with different --threshold, filters or --redact (refused otherwise: their figures do "
        + "not mean the same)."))
  var allowDifferentSettings = false

  @Flag(
    name: .customLong("judge-transaction-control"),
    help: "Judge BEGIN, COMMIT and the like on the per-query limits too (default: not; their time is their work's).")
  var judgeTransactionControl = false

  @Flag(
    name: .customLong("judge-maintenance"),
    help: "Judge migrations and maintenance (DDL, VACUUM, ANALYZE, CHECKPOINT) too (default: listed apart).")
  var judgeMaintenance = false

  func validate() throws {
    if let maxNewSlow, maxNewSlow.lowercased() != "off", Int(maxNewSlow) == nil {
      throw ValidationError("--max-new-slow takes a whole number or off.")
    }
    if let minCalls, minCalls < 0 { throw ValidationError("--min-calls must not be negative.") }
    if let significance, !(significance > 0 && significance < 1) {
      throw ValidationError("--significance is a p-value between 0 and 1, e.g. 0.01.")
    }
  }

  /// Defaults, then the file, then the flags.
  func resolve() throws(Budget.FileError) -> Budget {
    var budget = Budget()
    if let file = self.budget { try budget.apply(file: file) }
    if let maxP95Increase { budget.maxP95Increase = maxP95Increase.value }
    if let maxMeanIncrease { budget.maxMeanIncrease = maxMeanIncrease.value }
    if let maxNewSlow { budget.maxNewSlow = maxNewSlow.lowercased() == "off" ? nil : Int(maxNewSlow) }
    if let maxCallsFactor { budget.maxCallsFactor = maxCallsFactor.value }
    if let maxSlowShare { budget.maxSlowShare = maxSlowShare.value }
    if let maxTotalIncrease { budget.maxTotalIncrease = maxTotalIncrease.value }
    if let minCalls { budget.minCalls = minCalls }
    if let significance { budget.significance = significance }
    if let minChange { budget.minChangeMs = Double(minChange.microseconds) / 1000 }
    if let correction { budget.correction = correction }
    if judgeTransactionControl { budget.judgeTransactionControl = true }
    if judgeMaintenance { budget.judgeMaintenance = true }
    for fingerprint in allow { budget.allowances.append(.init(match: .fingerprint(fingerprint), reason: "--allow")) }
    for pattern in allowPattern { budget.allowances.append(.init(match: .pattern(pattern), reason: "--allow-pattern")) }
    return budget
  }
}

extension Budget.Correction: ExpressibleByArgument {}
