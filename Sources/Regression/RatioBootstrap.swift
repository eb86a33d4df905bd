// Whether a query's p95 (or mean) rose past a limit, given how much it could have moved by chance: a bootstrap
// of the ratio from the two runs' duration histograms. A p95 of 40 calls rests on its two slowest; of 900, on
// its 45 slowest: the same rise means little in the first and much in the second. Each replicate redraws both
// runs' calls from their histograms (a multinomial over the buckets), and the spread of the replicates' log
// ratios is the sampling error of the observed one. The draws are seeded by the query, so a comparison always
// gives the same verdict.
import Foundation
import Reports
import Statistics

public enum RatioBootstrap {
  public enum Statistic: Sendable {
    case p95, mean
  }

  /// Replicates drawn: enough for the spread (its tail comes from the normal law, not from counting).
  static let replicates = 400

  /// The one-sided p-value that the true ratio current / baseline of `statistic` is at most `limit` (as a factor,
  /// 1.2 for +20%), the observed ratio being `observed` (from the report's exact figures); nil when a side has no
  /// histogram.
  public static func pValueAbove(
    _ statistic: Statistic, baseline: [HistogramBucket]?, current: [HistogramBucket]?, observed: Double,
    limit: Double, seed: UInt64
  ) -> Double? {
    guard let baseline, let current, observed > 0, limit > 0,
      let old = Sample(baseline), let new = Sample(current)
    else { return nil }
    let spread = spreadOfLogRatio(statistic, old, new, seed: seed)
    let distance = log(observed) - log(limit)
    guard spread > 0 else { return distance > 0 ? 0 : 1 }
    return 0.5 * erfc(distance / spread / 2.0.squareRoot())
  }

  /// A histogram as values (a bucket's upper bound for the p95, as the report gives it; its geometric middle,
  /// an eighth of a doubling below, for the mean) and counts.
  struct Sample {
    var upper: [Double]
    var middle: [Double]
    var counts: [Int]
    var total: Int

    init?(_ buckets: [HistogramBucket]) {
      let kept = buckets.filter { $0.count > 0 && $0.upperMs > 0 }
      total = kept.reduce(0) { $0 + $1.count }
      guard total > 0 else { return nil }
      upper = kept.map(\.upperMs)
      middle = kept.map { $0.upperMs * pow(2, -1.0 / 8) }
      counts = kept.map(\.count)
    }

    func value(_ statistic: Statistic, _ counts: [Int]) -> Double {
      switch statistic {
      case .p95:
        let rank = Int((0.95 * Double(total)).rounded(.up))
        var seen = 0
        for (index, count) in counts.enumerated() {
          seen += count
          if seen >= rank { return upper[index] }
        }
        return upper.last!
      case .mean:
        return zip(middle, counts).reduce(0) { $0 + $1.0 * Double($1.1) } / Double(total)
      }
    }
  }

  /// The standard deviation of log(stat*(new) / stat*(old)) over the replicates.
  static func spreadOfLogRatio(_ statistic: Statistic, _ old: Sample, _ new: Sample, seed: UInt64) -> Double {
    var random = SplitMix64(seed: seed)
    var sum = 0.0
    var squares = 0.0
    for _ in 0..<replicates {
      let a = old.value(statistic, multinomial(old.counts, total: old.total, &random))
      let b = new.value(statistic, multinomial(new.counts, total: new.total, &random))
      let x = log(b / a)
      sum += x
      squares += x * x
    }
    let n = Double(replicates)
    return max(0, squares / n - (sum / n) * (sum / n)).squareRoot()
  }

  /// `total` calls redrawn over the buckets in proportion to `counts`: one binomial draw per bucket, of the calls
  /// not yet placed, with the bucket's share of what is left.
  static func multinomial(_ counts: [Int], total: Int, _ random: inout SplitMix64) -> [Int] {
    var left = total
    var weightLeft = total
    var drawn = [Int](repeating: 0, count: counts.count)
    for index in counts.indices {
      guard left > 0, weightLeft > 0 else { break }
      let share = Double(counts[index]) / Double(weightLeft)
      let count = index == counts.count - 1 ? left : binomial(left, share, &random)
      drawn[index] = count
      left -= count
      weightLeft -= counts[index]
    }
    return drawn
  }

  /// A binomial draw: by inversion of the distribution when it is narrow, from the normal law when it is wide
  /// (over 30 of variance, where the two agree to well under a call).
  static func binomial(_ n: Int, _ p: Double, _ random: inout SplitMix64) -> Int {
    if p <= 0 { return 0 }
    if p >= 1 { return n }
    if p > 0.5 { return n - binomial(n, 1 - p, &random) }
    let mean = Double(n) * p
    let variance = mean * (1 - p)
    if variance > 30 {
      // Box–Muller.
      let u1 = max(random.unit(), .leastNonzeroMagnitude)
      let u2 = random.unit()
      let z = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
      return min(n, max(0, Int((mean + z * variance.squareRoot()).rounded())))
    }
    // Inversion: walk the probabilities up from 0 until the uniform draw is passed.
    let u = random.unit()
    var k = 0
    var probability = pow(1 - p, Double(n))
    var cumulative = probability
    let ratio = p / (1 - p)
    while u > cumulative && k < n {
      probability *= Double(n - k) / Double(k + 1) * ratio
      k += 1
      cumulative += probability
      if probability < 1e-300 && Double(k) > mean { break }
    }
    return k
  }
}
