// Application advice as the report carries it (found by Advisors' AppAdvisor).
import Advisors
import NullCoding

public struct AppAdviceReport: Codable, Sendable, Equatable {
  /// `n_plus_one`, `row_by_row_write`, `connection_churn`, `wide_read` or `deep_offset`.
  public var kind: String
  /// The queries involved; for N+1 the parent query first, then the child.
  public var fingerprints: [String]
  /// Bursts (N+1, row-by-row writes), short sessions (churn), or calls (wide reads, deep pages).
  public var occurrences: Int
  /// The time those statements took (for churn: the time spent connecting).
  public var totalMs: Double
  /// What was seen, in a sentence.
  public var finding: String
  public var fix: String
  /// The figures behind the finding, by name: `calls`, `sessions`, `longest`, `mean_length`, `columns`,
  /// `max_offset`, `connections`, `peak_per_second`, `short_share`, ….
  public var evidence: [String: Double]
  /// The endpoints the repeated query's tags name, most calls first; null without tags.
  @WritesNull public var endpoints: [String]? = nil

  enum CodingKeys: String, CodingKey {
    case kind, fingerprints, occurrences, totalMs = "total_ms", finding, fix, evidence, endpoints
  }
}

extension AppAdviceReport {
  init(_ advice: AppAdvice) {
    self.init(
      kind: advice.kind.rawValue, fingerprints: advice.fingerprints.map(\.hex), occurrences: advice.occurrences,
      totalMs: advice.totalMs, finding: advice.finding, fix: advice.fix, evidence: advice.evidence,
      endpoints: advice.endpoints)
  }
}
