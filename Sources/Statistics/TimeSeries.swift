import LogInput

// Statements, slow statements, errors and latency per time interval. The interval starts at one second and
// doubles whenever the series would pass `maxBuckets`, so a month of log costs the same memory as an hour.

public struct TimeSeries: Sendable, Codable {
  public static let maxBuckets = 1_440

  public struct Bucket: Sendable, Codable {
    public var statements = 0
    public var slowStatements = 0
    public var totalUs: Int64 = 0
    public var errors = 0
    /// Connections received.
    public var connections = 0
    public var latency = LatencyHistogram()

    mutating func record(durationUs: Int64, slow: Bool) {
      statements += 1
      totalUs += durationUs
      if slow { slowStatements += 1 }
      latency.record(durationUs)
    }

    mutating func add(_ other: Bucket) {
      statements += other.statements
      slowStatements += other.slowStatements
      totalUs += other.totalUs
      errors += other.errors
      connections += other.connections
      latency.merge(other.latency)
    }
  }

  /// Interval length in milliseconds.
  public private(set) var intervalMs: Int64
  /// The interval the series started at (`--interval`); it doubles from there. Series merge only with the same.
  public let baseMs: Int64
  /// Buckets by index (start time / interval).
  public private(set) var buckets: [Int64: Bucket] = [:]

  public init(intervalMs: Int64 = 1_000) {
    self.intervalMs = intervalMs
    baseMs = intervalMs
  }

  public func index(of time: LogTime) -> Int64 {
    time.epochMs >= 0 ? time.epochMs / intervalMs : (time.epochMs - intervalMs + 1) / intervalMs
  }

  /// Adds a statement; returns the bucket index it went to (the series may have coarsened).
  public mutating func record(at time: LogTime, durationUs: Int64, slow: Bool) {
    buckets[index(of: time), default: Bucket()].record(durationUs: durationUs, slow: slow)
    if buckets.count > Self.maxBuckets { coarsen() }
  }

  public mutating func recordConnection(at time: LogTime) {
    buckets[index(of: time), default: Bucket()].connections += 1
    if buckets.count > Self.maxBuckets { coarsen() }
  }

  public mutating func recordError(at time: LogTime) {
    buckets[index(of: time), default: Bucket()].errors += 1
    if buckets.count > Self.maxBuckets { coarsen() }
  }

  /// Doubles the interval until the series fits, merging neighbouring buckets.
  mutating func coarsen() {
    while buckets.count > Self.maxBuckets { double() }
  }

  private mutating func double() {
    intervalMs *= 2
    var merged: [Int64: Bucket] = [:]
    for (i, bucket) in buckets { merged[i >= 0 ? i / 2 : (i - 1) / 2, default: Bucket()].add(bucket) }
    buckets = merged
  }

  /// Adds another piece's series. The interval only ever doubles and the buckets only ever fill, so the result
  /// has the interval one pass over both pieces would have reached.
  public mutating func merge(_ other: TimeSeries) {
    var other = other
    while intervalMs < other.intervalMs { double() }
    while other.intervalMs < intervalMs { other.double() }
    for (i, bucket) in other.buckets { buckets[i, default: Bucket()].add(bucket) }
    coarsen()
  }

  /// Buckets in time order, with their start times.
  public var ordered: [(start: LogTime, bucket: Bucket)] {
    buckets.keys.sorted().map { (LogTime(epochMs: $0 * intervalMs), buckets[$0]!) }
  }
}

/// Calls per interval for one query (its sparkline), coarsening like `TimeSeries`.
public struct CallCounts: Sendable, Codable {
  public static let maxBuckets = 720
  public private(set) var intervalMs: Int64 = 1_000
  public private(set) var counts: [Int64: Int32] = [:]

  public init() {}

  public mutating func record(at time: LogTime) {
    let i = time.epochMs >= 0 ? time.epochMs / intervalMs : (time.epochMs - intervalMs + 1) / intervalMs
    counts[i, default: 0] += 1
    while counts.count > Self.maxBuckets { double() }
  }

  private mutating func double() {
    intervalMs *= 2
    var merged: [Int64: Int32] = [:]
    for (i, count) in counts { merged[i >= 0 ? i / 2 : (i - 1) / 2, default: 0] += count }
    counts = merged
  }

  /// Adds another piece's counts, as `TimeSeries.merge` does.
  public mutating func merge(_ other: CallCounts) {
    var other = other
    while intervalMs < other.intervalMs { double() }
    while other.intervalMs < intervalMs { other.double() }
    for (i, count) in other.counts { counts[i, default: 0] += count }
    while counts.count > Self.maxBuckets { double() }
  }

  /// The busiest interval's calls per second.
  public var peakPerSecond: Double { Double(counts.values.max() ?? 0) / (Double(intervalMs) / 1000) }

  /// Calls in `slots` equal slots between `start` and `end`.
  public func resampled(from start: LogTime, to end: LogTime, slots: Int) -> [Int] {
    var result = [Int](repeating: 0, count: slots)
    let span = max(1, end.epochMs - start.epochMs + 1)
    for (i, count) in counts {
      let t = i * intervalMs
      let slot = Int((t - start.epochMs) * Int64(slots) / span)
      result[min(max(slot, 0), slots - 1)] += Int(count)
    }
    return result
  }
}
