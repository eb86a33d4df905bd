// Percentiles of durations: exact while a query has few calls, then an HDR histogram (3 significant digits,
// microsecond resolution) so memory stays bounded however often a query runs.
import Histogram

public struct DurationDistribution: Sendable, Codable {
  /// Calls kept exactly before switching to the histogram.
  public static let exactLimit = 2_048

  private var exact: [Int64] = []
  private var histogram: Histogram<UInt32>?

  public init() {}

  public var count: Int { histogram.map { Int($0.totalCount) } ?? exact.count }

  public mutating func record(_ durationUs: Int64) {
    if histogram == nil {
      if exact.count < Self.exactLimit {
        exact.append(durationUs)
        return
      }
      spill()
    }
    _ = histogram!.record(UInt64(max(0, durationUs)))
  }

  /// Durations up to this (about a second) fit without growing the histogram, which is slow to grow.
  static let initialRangeUs: UInt64 = 1 << 20

  private mutating func spill() {
    let largest = UInt64(max(0, exact.max() ?? 0))
    var h = Histogram<UInt32>(
      highestTrackableValue: max(Self.initialRangeUs, largest), numberOfSignificantValueDigits: .three)
    h.autoResize = true
    for value in exact { _ = h.record(UInt64(max(0, value))) }
    exact = []
    histogram = h
  }

  /// The duration at or below which `percentile` percent of calls fall (nearest rank).
  public func valueUs(atPercentile percentile: Double) -> Int64 {
    if let histogram { return Int64(histogram.valueAtPercentile(percentile)) }
    guard !exact.isEmpty else { return 0 }
    let sorted = exact.sorted()
    let rank = Int((percentile / 100 * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
  }

  public mutating func merge(_ other: DurationDistribution) {
    if histogram == nil && other.histogram == nil && exact.count + other.exact.count <= Self.exactLimit {
      exact += other.exact
      return
    }
    if histogram == nil { spill() }
    if let otherHistogram = other.histogram {
      histogram!.add(otherHistogram)
    } else {
      for value in other.exact { _ = histogram!.record(UInt64(max(0, value))) }
    }
  }
}
