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

  public static func bucket(_ durationUs: Int64) -> Int {
    guard durationUs > 1 else { return 0 }
    let index = Int((log2(Double(durationUs)) * 4).rounded(.down))
    return min(max(index, 0), bucketCount - 1)
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
