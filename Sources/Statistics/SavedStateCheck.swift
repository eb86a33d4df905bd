// A saved state (`--save-state`, read by `pgsift merge`) is untrusted input: a part from another host, an old
// disk, an attacker's. Before anything is added up, every figure is checked against what a run can write:
// counts and durations not negative and small enough that adding up thousands of parts cannot overflow, name
// ids and positions pointing at what exists, intervals positive and in step, histograms of the size they have.
// The first figure out of range is named, and the part refused.
import Fingerprint
import LogInput
import ServerEvents

/// What is out of range in a saved aggregate.
public struct SavedStateProblem: Error, Sendable, CustomStringConvertible {
  public var field: String
  public var value: String
  public var description: String { "\(field) is \(value), which no run writes" }

  public init(field: String, value: String) {
    self.field = field
    self.value = value
  }
}

struct SavedStateChecker {
  /// The largest count a part may hold (10^12): thousands of parts add up without overflow.
  static let maxCount = 1 << 40
  /// The largest sum of microseconds or bytes (about 36 years in microseconds).
  static let maxSum: Int64 = 1 << 60
  let names: Int
  let files: Int

  func count(_ value: Int, _ field: @autoclosure () -> String) throws(SavedStateProblem) {
    guard (0...Self.maxCount).contains(value) else { throw SavedStateProblem(field: field(), value: "\(value)") }
  }

  func count(_ value: Int32, _ field: @autoclosure () -> String) throws(SavedStateProblem) {
    guard value >= 0 else { throw SavedStateProblem(field: field(), value: "\(value)") }
  }

  func sum(_ value: Int64, _ field: @autoclosure () -> String) throws(SavedStateProblem) {
    guard (0...Self.maxSum).contains(value) else { throw SavedStateProblem(field: field(), value: "\(value)") }
  }

  func position(_ value: InputPosition, _ field: @autoclosure () -> String) throws(SavedStateProblem) {
    guard value == .max || (value >= 0 && value.fileOrdinal < files) else {
      throw SavedStateProblem(field: field(), value: "\(value) (file \(value.fileOrdinal) of \(files))")
    }
  }

  func counts<Key>(_ dictionary: [Key: Int], _ field: @autoclosure () -> String) throws(SavedStateProblem) {
    guard dictionary.count <= Self.maxCount else {
      throw SavedStateProblem(field: field(), value: "\(dictionary.count) entries")
    }
    for value in dictionary.values { try count(value, field()) }
  }

  func check(_ names: NameCounts, _ field: @autoclosure () -> String) throws(SavedStateProblem) {
    guard names.isWellFormed else { throw SavedStateProblem(field: field(), value: "ids and counts of unequal length") }
    for (id, value) in names {
      guard (0..<Int32(truncatingIfNeeded: self.names)).contains(id) else {
        throw SavedStateProblem(field: field(), value: "name id \(id) (of \(self.names) names)")
      }
      try count(value, field())
    }
  }

  func check(_ calls: CallCounts, _ field: @autoclosure () -> String) throws(SavedStateProblem) {
    guard calls.intervalMs > 0, calls.intervalMs <= Self.maxSum / 4, calls.counts.count <= CallCounts.maxBuckets else {
      throw SavedStateProblem(
        field: field(), value: "an interval of \(calls.intervalMs) ms, \(calls.counts.count) buckets")
    }
    for value in calls.counts.values { try count(value, field()) }
  }

  func check(_ histogram: LatencyHistogram, _ field: @autoclosure () -> String) throws(SavedStateProblem) {
    guard histogram.counts.count == LatencyHistogram.bucketCount,
      histogram.total == histogram.counts.reduce(0, { $0 + Int($1) })
    else {
      throw SavedStateProblem(field: field(), value: "\(histogram.counts.count) buckets, total \(histogram.total)")
    }
  }
}

extension StatementAggregator {
  /// Checks every figure of an aggregate read from a saved state covering `files` files.
  public func checkSaved(files: Int) throws(SavedStateProblem) {
    let c = SavedStateChecker(names: names.count, files: files)
    guard (0...86_400_000_000).contains(thresholdUs) else {
      throw SavedStateProblem(field: "threshold_us", value: "\(thresholdUs)")
    }
    for (i, query) in queries.enumerated() { try query.checkSaved(c, "queries[\(i)]") }
    guard timeByName.isWellFormed(names: names.count) else {
      throw SavedStateProblem(field: "time_by_name", value: "a name id past the names")
    }
    for (value, field) in [
      (folded.fingerprints, "fingerprints"), (folded.calls, "calls"), (folded.slowCalls, "slow_calls"),
      (folded.untimedCalls, "untimed_calls"),
    ] {
      try c.count(value, "folded.\(field)")
    }
    guard folded.slowCalls <= folded.calls, folded.distribution.count <= folded.calls else {
      throw SavedStateProblem(field: "folded.slow_calls", value: "\(folded.slowCalls) of \(folded.calls) calls")
    }
    try c.sum(folded.totalUs, "folded.total_us")
    try c.sum(folded.slowTotalUs, "folded.slow_total_us")
    try c.sum(folded.maxUs, "folded.max_us")
    for (i, group) in errorGroups.enumerated() {
      try c.count(group.count, "error_groups[\(i)].count")
      try c.position(group.examplePosition, "error_groups[\(i)].example_position")
    }
    let s = summary
    for (value, field) in [
      (s.timedStatements, "timed_statements"), (s.slowStatements, "slow_statements"),
      (s.untimedStatements, "untimed_statements"), (s.prepareSteps, "prepare_steps"),
      (s.bareDurations, "bare_durations"), (s.errors, "errors"), (s.otherEntries, "other_entries"), (s.plans, "plans"),
      (s.filteredStatements, "filtered_statements"),
    ] {
      try c.count(value, "summary.\(field)")
    }
    try c.sum(s.totalUs, "summary.total_us")
    try c.counts(s.localizedDurations, "summary.localized_durations")
    try timeSeries.checkSaved(c)
    try c.check(latency, "latency")
    try activity.checkSaved(c)
    try pgbouncer.checkSaved(c)
    if let problem = bursts.savedProblem(maxCount: SavedStateChecker.maxCount) {
      throw SavedStateProblem(field: "bursts", value: problem)
    }
  }
}

extension QueryStats {
  func checkSaved(_ c: SavedStateChecker, _ at: String) throws(SavedStateProblem) {
    for (value, field) in [
      (calls, "calls"), (slowCalls, "slow_calls"), (untimedCalls, "untimed_calls"), (prepareSteps, "prepare_steps"),
    ] {
      try c.count(value, "\(at).\(field)")
    }
    guard slowCalls <= calls, distribution.count <= calls else {
      throw SavedStateProblem(field: "\(at).slow_calls", value: "\(slowCalls) of \(calls) calls")
    }
    try c.sum(totalUs, "\(at).total_us")
    try c.sum(slowTotalUs, "\(at).slow_total_us")
    try c.sum(prepareUs, "\(at).prepare_us")
    try c.sum(maxUs, "\(at).max_us")
    guard minUs == .max || (0...SavedStateChecker.maxSum).contains(minUs) else {
      throw SavedStateProblem(field: "\(at).min_us", value: "\(minUs)")
    }
    try c.position(firstPosition, "\(at).first_position")
    try c.position(examplePosition, "\(at).example_position")
    try c.position(plans.examplePosition, "\(at).plans.example_position")
    try c.check(activity, "\(at).activity")
    try c.check(databases, "\(at).databases")
    try c.check(users, "\(at).users")
    try c.check(applications, "\(at).applications")
    guard sampled.count <= Self.sampleLimit, (maxOffset ?? 0) >= 0 else {
      throw SavedStateProblem(field: "\(at).sampled", value: "\(sampled.count) texts, offset \(maxOffset ?? 0)")
    }
    try c.count(plans.explained, "\(at).plans.explained")
    try c.counts(plans.sortMethods, "\(at).plans.sort_methods")
    try c.sum(plans.sortDiskKB, "\(at).plans.sort_disk_kb")
    try c.sum(plans.tempBlocksWritten, "\(at).plans.temp_blocks_written")
    for (table, scan) in plans.seqScans {
      try c.count(scan.scans, "\(at).plans.seq_scans[\(table)]")
      try c.sum(scan.rowsRemoved, "\(at).plans.seq_scans[\(table)]")
    }
  }
}

extension TimeSeries {
  func checkSaved(_ c: SavedStateChecker) throws(SavedStateProblem) {
    // The interval is the one it started at, doubled some times; 0 would never advance.
    var interval = baseMs
    while interval > 0 && interval < intervalMs && interval < SavedStateChecker.maxSum { interval *= 2 }
    guard baseMs > 0, intervalMs > 0, interval == intervalMs, buckets.count <= Self.maxBuckets else {
      throw SavedStateProblem(
        field: "time_series", value: "an interval of \(intervalMs) ms from \(baseMs) ms, \(buckets.count) buckets")
    }
    for bucket in buckets.values {
      try c.count(bucket.statements, "time_series.statements")
      try c.count(bucket.slowStatements, "time_series.slow_statements")
      try c.count(bucket.errors, "time_series.errors")
      try c.count(bucket.connections, "time_series.connections")
      try c.sum(bucket.totalUs, "time_series.total_us")
      try c.check(bucket.latency, "time_series.latency")
    }
    guard max(sessionStarts.count, sessionEnds.count) <= 4 * Self.maxBuckets else {
      throw SavedStateProblem(
        field: "time_series", value: "\(sessionStarts.count) session starts, \(sessionEnds.count) session ends")
    }
    for count in sessionStarts.values { try c.count(Int(count), "time_series.session_starts") }
    for count in sessionEnds.values { try c.count(Int(count), "time_series.session_ends") }
  }
}

extension ServerActivity {
  func checkSaved(_ c: SavedStateChecker) throws(SavedStateProblem) {
    for (fingerprint, waits) in lockWaits {
      let key = fingerprint?.hex ?? ""
      for value in [waits.waits, waits.acquired, waits.deadlocks] { try c.count(value, "activity.lock_waits[\(key)]") }
      for value in [waits.waitedUs, waits.acquiredUs, waits.longestUs] {
        try c.sum(value, "activity.lock_waits[\(key)]")
      }
      try c.counts(waits.modes, "activity.lock_waits[\(key)].modes")
      try c.position(waits.examplePosition, "activity.lock_waits[\(key)].example_position")
    }
    guard deadlocks.count <= Self.deadlocksKept else {
      throw SavedStateProblem(field: "activity.deadlocks", value: "\(deadlocks.count) kept")
    }
    for deadlock in deadlocks { try c.position(deadlock.position, "activity.deadlocks.position") }
    try c.count(deadlockCount, "activity.deadlock_count")
    for (fingerprint, files) in tempFiles {
      let key = fingerprint?.hex ?? ""
      try c.count(files.files, "activity.temp_files[\(key)]")
      for value in [files.bytes, files.largestBytes] { try c.sum(value, "activity.temp_files[\(key)]") }
    }
    let k = checkpoints
    try c.counts(k.reasons, "activity.checkpoints.reasons")
    for value in [k.started, k.completed, k.tooFrequent] { try c.count(value, "activity.checkpoints") }
    for value in [k.buffers, k.writeMs, k.syncMs, k.totalMs, k.longestMs] { try c.sum(value, "activity.checkpoints") }
    for (table, run) in autovacuums.merging(autoanalyzes, uniquingKeysWith: { a, _ in a }) {
      try c.count(run.runs, "activity.maintenance[\(table)]")
      for value in [run.elapsedMs, run.longestMs, run.tuplesRemoved] {
        try c.sum(value, "activity.maintenance[\(table)]")
      }
    }
    let n = connections
    for value in [
      n.received, n.authorized, n.disconnections, n.authenticationFailures, n.sessionsUnderOneSecond, n.connectsTimed,
    ] {
      try c.count(value, "activity.connections")
    }
    for value in [n.sessionMs, n.connectMs] { try c.sum(value, "activity.connections") }
    for names in [n.byDatabase, n.byUser, n.byApplication, n.byHost] { try c.counts(names, "activity.connections.by") }
    try c.check(n.arrivals, "activity.connections.arrivals")
    try c.check(n.sessionTimes, "activity.connections.session_times")
    try c.counts(cancellations, "activity.cancellations")
  }
}

extension PgBouncerActivity {
  func checkSaved(_ c: SavedStateChecker) throws(SavedStateProblem) {
    for value in [lines, logins, loginFailures, serverConnections, statsPeriods] { try c.count(value, "pgbouncer") }
    for value in [
      xactsPerSecondSum, queriesPerSecondSum, peakXactsPerSecond, peakQueriesPerSecond, xactUsWeighted, queryUsWeighted,
      waitUsWeighted, longestWaitUs,
    ] {
      try c.sum(value, "pgbouncer")
    }
    try c.counts(closes, "pgbouncer.closes")
    try c.counts(problems, "pgbouncer.problems")
    try c.check(arrivals, "pgbouncer.arrivals")
  }
}
