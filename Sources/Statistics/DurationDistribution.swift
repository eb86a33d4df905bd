// Percentiles of durations: exact while a query has few calls, then an HDR histogram (3 significant digits,
// microsecond resolution) so memory stays bounded however often a query runs.
import Histogram
import LogInput

public struct DurationDistribution: Sendable, Codable {
  /// Calls kept exactly before switching to the histogram.
  public static let exactLimit = 2_048

  private var exact: [Int64] = []
  private var histogram: Histogram<UInt32>?
  /// Whether `histogram` holds the durations (and `exact` nothing): read on every call in place of comparing
  /// `histogram` with nil, which copied the optional histogram and released it again each time (callgrind).
  private var spilled = false

  public init() {}

  public var count: Int { histogram.map { Int($0.totalCount) } ?? exact.count }

  public mutating func record(_ durationUs: Int64) {
    if !spilled {
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
    spilled = true
  }

  /// The duration at or below which `percentile` percent of calls fall (nearest rank).
  public func valueUs(atPercentile percentile: Double) -> Int64 { valuesUs(atPercentiles: [percentile])[0] }

  /// `valueUs(atPercentile:)` for each of `percentiles`, the exact durations sorted once for all of them (three
  /// sorts of up to 2,048 durations a query were a sixth of the report builder's instructions, callgrind).
  public func valuesUs(atPercentiles percentiles: [Double]) -> [Int64] {
    if let histogram { return percentiles.map { Int64(histogram.valueAtPercentile($0)) } }
    guard !exact.isEmpty else { return percentiles.map { _ in 0 } }
    let sorted = exact.sorted()
    return percentiles.map { percentile in
      let rank = Int((percentile / 100 * Double(sorted.count)).rounded(.up))
      return sorted[min(max(rank, 1), sorted.count) - 1]
    }
  }

  /// The durations in `LatencyHistogram`'s buckets (four per doubling): bucket → count, the non-empty ones.
  public var latencyBuckets: [Int: Int] {
    var out: [Int: Int] = [:]
    if let histogram {
      for bucket in histogram.recordedValues() where bucket.count > 0 {
        out[LatencyHistogram.bucket(Int64(clamping: bucket.value)), default: 0] += Int(bucket.count)
      }
    } else {
      for value in exact { out[LatencyHistogram.bucket(value), default: 0] += 1 }
    }
    return out
  }

  public mutating func merge(_ other: DurationDistribution) {
    if !spilled && !other.spilled && exact.count + other.exact.count <= Self.exactLimit {
      exact += other.exact
      return
    }
    if !spilled { spill() }
    if let otherHistogram = other.histogram {
      histogram!.add(otherHistogram)
    } else {
      for value in other.exact { _ = histogram!.record(UInt64(max(0, value))) }
    }
  }

  /// The longest duration a saved state may hold (about 12 days), and the most distinct histogram buckets.
  static let maxSavedUs: Int64 = 1 << 40
  static let maxSavedBuckets = 200_000

  enum CodingKeys: String, CodingKey { case exact, buckets }

  /// Saved as the exact durations, or as the histogram's non-empty buckets (`[duration, count]` pairs): a
  /// fraction of the histogram's own layout, and nothing in it can break a histogram read back (a saved state
  /// is untrusted input).
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    if let histogram {
      var pairs: [[UInt64]] = []
      for bucket in histogram.recordedValues() where bucket.count > 0 {
        pairs.append([bucket.value, UInt64(bucket.count)])
      }
      try c.encode(pairs, forKey: .buckets)
    } else {
      try c.encode(exact, forKey: .exact)
    }
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    if let pairs = try c.decodeIfPresent([[UInt64]].self, forKey: .buckets) {
      guard pairs.count <= Self.maxSavedBuckets else {
        throw DecodingError.dataCorruptedError(
          forKey: .buckets, in: c, debugDescription: "\(pairs.count) histogram buckets, more than a histogram has")
      }
      var h = Histogram<UInt32>(
        highestTrackableValue: Self.initialRangeUs, numberOfSignificantValueDigits: .three)
      h.autoResize = true
      for pair in pairs {
        guard pair.count == 2, pair[0] <= UInt64(Self.maxSavedUs), pair[1] > 0, pair[1] <= UInt64(UInt32.max) else {
          throw DecodingError.dataCorruptedError(
            forKey: .buckets, in: c, debugDescription: "a histogram bucket \(pair) out of range")
        }
        _ = h.record(pair[0], count: UInt32(pair[1]))
      }
      histogram = h
      spilled = true
      return
    }
    let values = try c.decode([Int64].self, forKey: .exact)
    guard values.count <= Self.exactLimit, values.allSatisfy({ (0...Self.maxSavedUs).contains($0) }) else {
      throw DecodingError.dataCorruptedError(
        forKey: .exact, in: c,
        debugDescription: "\(values.count) durations, or one out of range (at most \(Self.exactLimit), 0 to 2^40 µs)")
    }
    exact = values
  }
}
