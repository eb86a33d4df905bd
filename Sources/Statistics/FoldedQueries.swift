// What a fingerprint budget folded: the executions of the least used fingerprints, once there were more
// distinct ones than the budget keeps apart. Their calls and times stay in every total; only which shape ran
// them is given up, so that memory does not grow with the number of distinct statements.
public struct FoldedQueries: Sendable, Codable {
  /// Fingerprint entries folded (a fingerprint folded, seen again and folded again counts twice).
  public var fingerprints = 0
  public var calls = 0
  public var slowCalls = 0
  public var untimedCalls = 0
  public var totalUs: Int64 = 0
  public var slowTotalUs: Int64 = 0
  public var maxUs: Int64 = 0
  public var distribution = DurationDistribution()

  public init() {}

  public var isEmpty: Bool { fingerprints == 0 }

  mutating func add(_ query: QueryStats) {
    fingerprints += 1
    calls += query.calls
    slowCalls += query.slowCalls
    untimedCalls += query.untimedCalls
    totalUs += query.totalUs
    slowTotalUs += query.slowTotalUs
    maxUs = max(maxUs, query.maxUs)
    distribution.merge(query.distribution)
  }

  mutating func add(_ other: FoldedQueries) {
    fingerprints += other.fingerprints
    calls += other.calls
    slowCalls += other.slowCalls
    untimedCalls += other.untimedCalls
    totalUs += other.totalUs
    slowTotalUs += other.slowTotalUs
    maxUs = max(maxUs, other.maxUs)
    distribution.merge(other.distribution)
  }

  enum CodingKeys: String, CodingKey {
    case fingerprints, calls, slowCalls = "slow_calls", untimedCalls = "untimed_calls", totalUs = "total_us"
    case slowTotalUs = "slow_total_us", maxUs = "max_us", distribution
  }
}

extension StatementAggregator {
  /// Fingerprints kept apart when none is given: four times pg_stat_statements' default of 5,000.
  public static let defaultFingerprintBudget = 20_000

  /// Sets the budget (nil: none) and folds what is over it.
  public mutating func limitFingerprints(to budget: Int?) {
    fingerprintBudget = budget
    keepWithinBudget()
  }

  /// Folds the least used fingerprints into `folded` once there are a quarter more than the budget, down to
  /// the budget (so that folding is rare: each fold makes room for a quarter of the budget). Least used: no
  /// slow call before any slow call, then fewest executions, then least time; the fingerprint breaks ties.
  mutating func keepWithinBudget() {
    guard let budget = fingerprintBudget, queries.count > budget + budget / 4 else { return }
    var order = queries.indices.map { index in
      (
        queries[index].slowCalls > 0 ? 1 : 0, queries[index].calls + queries[index].untimedCalls,
        queries[index].totalUs, queries[index].fingerprint.value, index
      )
    }
    order.sort { ($0.0, $0.1, $0.2, $0.3) < ($1.0, $1.1, $1.2, $1.3) }
    var folds = [Bool](repeating: false, count: queries.count)
    var moved = [Int?](repeating: nil, count: queries.count)
    var next = 0
    queries.withUnsafeMutableBufferPointer { all in
      for entry in order.prefix(all.count - budget) {
        folds[entry.4] = true
        folded.add(all[entry.4])
      }
      // Kept queries move up in place (moves, not copies), in their order.
      for index in all.indices where !folds[index] {
        if next != index { all.swapAt(next, index) }
        moved[index] = next
        next += 1
      }
    }
    queries.removeSubrange(next...)
    reindexQueries { moved[$0] }
  }
}
