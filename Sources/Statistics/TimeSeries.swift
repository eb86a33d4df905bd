import IntegerTables
import LogInput

// Statements, slow statements, errors and latency per time interval. The interval starts at one second and
// doubles whenever the series would pass `maxBuckets`, so a month of log costs the same memory as an hour.

public struct TimeSeries: Sendable, Codable {
  public static let maxBuckets = 1_440
  /// The interval a series starts at unless --interval says otherwise.
  public static let defaultIntervalMs: Int64 = 1_000

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
  public private(set) var buckets = IntegerTable<Int64, Bucket>()
  /// Sessions that ended in the log (`log_disconnections`), by the index of the interval they started in and
  /// of the one they ended in: the sessions open during an interval are those started by its end less those
  /// ended before it. Sessions started before the log are as many as were open when it began (at most the
  /// server's `max_connections`), so the starts stay about as many as the buckets; past four times as many, the
  /// series coarsens.
  public private(set) var sessionStarts = IntegerTable<Int64, Int32>()
  public private(set) var sessionEnds = IntegerTable<Int64, Int32>()

  public init(intervalMs: Int64 = TimeSeries.defaultIntervalMs) {
    self.intervalMs = intervalMs
    baseMs = intervalMs
  }

  enum CodingKeys: String, CodingKey {
    case intervalMs, baseMs, buckets, sessionStarts, sessionEnds
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    intervalMs = try c.decode(Int64.self, forKey: .intervalMs)
    baseMs = try c.decode(Int64.self, forKey: .baseMs)
    buckets = try c.decode(IntegerTable<Int64, Bucket>.self, forKey: .buckets)
    // Runs saved before sessions were kept have none.
    sessionStarts = try c.decodeIfPresent(IntegerTable<Int64, Int32>.self, forKey: .sessionStarts) ?? IntegerTable()
    sessionEnds = try c.decodeIfPresent(IntegerTable<Int64, Int32>.self, forKey: .sessionEnds) ?? IntegerTable()
  }

  public func index(of time: LogTime) -> Int64 { Self.floorDivide(time.epochMs, intervalMs) }

  /// `a / b` rounded down (toward earlier times), for times before 1970 too.
  static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }

  /// Adds a statement; returns the bucket index it went to (the series may have coarsened).
  public mutating func record(at time: LogTime, durationUs: Int64, slow: Bool) {
    buckets[index(of: time), default: Bucket()].record(durationUs: durationUs, slow: slow)
    if buckets.count > Self.maxBuckets { coarsen() }
  }

  public mutating func recordConnection(at time: LogTime) {
    buckets[index(of: time), default: Bucket()].connections += 1
    if buckets.count > Self.maxBuckets { coarsen() }
  }

  /// A session that ended at `end` after `sessionMs`.
  public mutating func recordSession(endingAt end: LogTime, sessionMs: Int64) {
    sessionStarts[index(of: LogTime(epochMs: end.epochMs - max(0, sessionMs))), default: 0] += 1
    sessionEnds[index(of: end), default: 0] += 1
    coarsen()
  }

  public mutating func recordError(at time: LogTime) {
    buckets[index(of: time), default: Bucket()].errors += 1
    if buckets.count > Self.maxBuckets { coarsen() }
  }

  /// Doubles the interval until the series fits, merging neighbouring buckets.
  mutating func coarsen() {
    while buckets.count > Self.maxBuckets || max(sessionStarts.count, sessionEnds.count) > 4 * Self.maxBuckets {
      double()
    }
  }

  private mutating func double() {
    intervalMs *= 2
    var merged = IntegerTable<Int64, Bucket>()
    for (i, bucket) in buckets { merged[Self.floorDivide(i, 2), default: Bucket()].add(bucket) }
    buckets = merged
    for keyPath in [\Self.sessionStarts, \Self.sessionEnds] {
      var counts = IntegerTable<Int64, Int32>()
      for (i, count) in self[keyPath: keyPath] { counts[Self.floorDivide(i, 2), default: 0] += count }
      self[keyPath: keyPath] = counts
    }
  }

  /// The sessions open during each of the intervals `[start, end)` given in time order: started before the
  /// interval's end and not ended before its start. Only sessions whose end the log shows are known.
  public func sessionsOpen(during intervals: [(start: LogTime, end: LogTime)]) -> [Int] {
    func cumulative(_ counts: IntegerTable<Int64, Int32>) -> (indexes: [Int64], sums: [Int]) {
      var sum = 0
      var sums: [Int] = []
      let indexes = counts.keys.sorted()
      for i in indexes {
        sum += Int(counts[i]!)
        sums.append(sum)
      }
      return (indexes, sums)
    }
    /// How many counts sit at indexes below `bound`.
    func below(_ bound: Int64, _ table: (indexes: [Int64], sums: [Int])) -> Int {
      var low = 0
      var high = table.indexes.count
      while low < high {
        let mid = (low + high) / 2
        if table.indexes[mid] < bound { low = mid + 1 } else { high = mid }
      }
      return low == 0 ? 0 : table.sums[low - 1]
    }
    let starts = cumulative(sessionStarts)
    let ends = cumulative(sessionEnds)
    return intervals.map { interval in
      // A bucket holds times from i × interval up to the next; it counts as open while any part of it is.
      let startedBefore = below(index(of: LogTime(epochMs: interval.end.epochMs - 1)) + 1, starts)
      let endedBefore = below(index(of: interval.start), ends)
      return max(0, startedBefore - endedBefore)
    }
  }

  /// The buckets of `ordered` grouped into intervals of `widthMs` (aligned to `offsetMs` east of UTC, so an hour
  /// or day starts at the local hour or midnight), in time order. A bucket goes to the interval it starts in;
  /// the grouping is exact when the series' interval divides `widthMs` and the offset.
  public func grouped(widthMs: Int64, offsetMs: Int64 = 0) -> [(start: LogTime, bucket: Bucket)] {
    var rows: [Int64: Bucket] = [:]
    for (i, bucket) in buckets {
      let local = i * intervalMs + offsetMs
      let row = Self.floorDivide(local, widthMs)
      rows[row, default: Bucket()].add(bucket)
    }
    return rows.keys.sorted().map { (LogTime(epochMs: $0 * widthMs - offsetMs), rows[$0]!) }
  }

  /// Adds another piece's series. The interval only ever doubles and the buckets only ever fill, so the result
  /// has the interval one pass over both pieces would have reached.
  public mutating func merge(_ other: TimeSeries) {
    var other = other
    while intervalMs < other.intervalMs { double() }
    while other.intervalMs < intervalMs { other.double() }
    for (i, bucket) in other.buckets { buckets[i, default: Bucket()].add(bucket) }
    for (i, count) in other.sessionStarts { sessionStarts[i, default: 0] += count }
    for (i, count) in other.sessionEnds { sessionEnds[i, default: 0] += count }
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
  public private(set) var counts = IntegerTable<Int64, Int32>()

  public init() {}

  public mutating func record(at time: LogTime) {
    let i = TimeSeries.floorDivide(time.epochMs, intervalMs)
    counts[i, default: 0] += 1
    while counts.count > Self.maxBuckets { double() }
  }

  private mutating func double() {
    intervalMs *= 2
    var merged = IntegerTable<Int64, Int32>()
    for (i, count) in counts { merged[TimeSeries.floorDivide(i, 2), default: 0] += count }
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
