#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// A compact latency histogram with fixed logarithmic buckets (four per doubling, about 19% wide): small enough
// to keep one per time interval, fine enough for a p95 to show a trend.

public struct LatencyHistogram: Sendable, Equatable, Codable {
  /// Bucket `i` holds durations below `upperBoundUs(i)`; the last bucket holds the rest.
  public static let bucketCount = 128
  public private(set) var counts = [UInt32](repeating: 0, count: LatencyHistogram.bucketCount)
  public private(set) var total = 0

  public init() {}

  public static func upperBoundUs(_ bucket: Int) -> Double { exp2(Double(bucket + 1) / 4) }

  /// The bucket of a duration: `floor(4 * log2(durationUs))`, within the buckets. Found from the duration's
  /// highest bit and the bounds within its doubling, in integers: `log2` of a `Double` was 2% of the run's time
  /// (perf), two durations a statement.
  public static func bucket(_ durationUs: Int64) -> Int {
    guard durationUs > 1 else { return 0 }
    let d = UInt64(durationUs)
    let low = 4 * (63 - d.leadingZeroBitCount)
    guard low < bucketCount else { return bucketCount - 1 }
    var index = low
    while index + 1 < low + 4, d >= lowestUs[index + 1] { index += 1 }
    return index
  }

  /// The least duration of each bucket: the least `d` with `d⁴ ≥ 2^i`, that is `4 * log2(d) ≥ i`, exactly.
  static let lowestUs: [UInt64] = (0..<bucketCount).map { i in
    func reaches(_ d: UInt64) -> Bool {
      let square = d * d
      let (high, low) = square.multipliedFullWidth(by: square)
      return i >= 64 ? high >= UInt64(1) << (i - 64) : high > 0 || low >= UInt64(1) << i
    }
    var d = max(1, UInt64(exp2(Double(i) / 4)))
    while d > 1, reaches(d - 1) { d -= 1 }
    while !reaches(d) { d += 1 }
    return d
  }

  public mutating func record(_ durationUs: Int64) {
    counts[Self.bucket(durationUs)] &+= 1
    total += 1
  }

  public mutating func merge(_ other: LatencyHistogram) {
    for i in 0..<Self.bucketCount { counts[i] &+= other.counts[i] }
    total += other.total
  }

  /// The upper bound of the bucket holding the given percentile, in microseconds.
  public func valueUs(atPercentile percentile: Double) -> Int64 {
    guard total > 0 else { return 0 }
    let rank = max(1, Int((percentile / 100 * Double(total)).rounded(.up)))
    var seen = 0
    for (i, count) in counts.enumerated() {
      seen += Int(count)
      if seen >= rank { return Int64(Self.upperBoundUs(i).rounded()) }
    }
    return Int64(Self.upperBoundUs(Self.bucketCount - 1))
  }
}
