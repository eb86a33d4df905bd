// Finds, within each session, the bursts an ORM loop makes: the same query run again and again in quick
// succession. A burst of reads with a different key each time, after another query, is an N+1 loop; a burst of
// single-row writes is a row-by-row write. Statements come in per process in log order; everything is kept per
// process, so the result does not depend on how the input was cut or interleaved.

/// One executed statement, as little as the detector needs.
public struct SessionStep: Sendable {
  public var pid: Int32
  /// Milliseconds since the epoch, when the log has times.
  public var timeMs: Int64?
  public var fingerprint: UInt64
  public var traits: StatementTraits
  /// A hash of the statement's values (its text and parameters): steps of one query with different keys
  /// differ here. Nil when the values are not in the record (extended protocol in stderr logs, whose
  /// parameters come on a line of their own): such steps count as different keys.
  public var values: UInt64?
  public var durationUs: Int64

  public init(
    pid: Int32, timeMs: Int64?, fingerprint: UInt64, traits: StatementTraits, values: UInt64?, durationUs: Int64
  ) {
    self.pid = pid
    self.timeMs = timeMs
    self.fingerprint = fingerprint
    self.traits = traits
    self.values = values
    self.durationUs = durationUs
  }
}

/// What the bursts of one query (after one parent query, for reads) added up to, by burst length.
public struct BurstTally: Sendable, Codable, Equatable {
  public struct Bucket: Sendable, Codable, Equatable {
    public var bursts = 0
    public var calls = 0
    public var totalUs: Int64 = 0
    /// Processes these bursts were seen in (at most `pidCap` kept).
    public var pids: Set<Int32> = []
  }
  /// Effective length (for reads: the distinct keys; for writes: the statements) → bursts of that length.
  /// Lengths over `lengthCap` are counted at the cap.
  public var byLength: [Int: Bucket] = [:]
  public var longest = 0

  static let lengthCap = 10_000
  static let pidCap = 10_000

  mutating func add(length: Int, calls: Int, totalUs: Int64, pid: Int32) {
    let key = min(length, Self.lengthCap)
    byLength[key, default: Bucket()].bursts += 1
    byLength[key, default: Bucket()].calls += calls
    byLength[key, default: Bucket()].totalUs += totalUs
    if byLength[key]!.pids.count < Self.pidCap { byLength[key]!.pids.insert(pid) }
    longest = max(longest, length)
  }

  mutating func merge(_ other: BurstTally) {
    for (length, bucket) in other.byLength {
      byLength[length, default: Bucket()].bursts += bucket.bursts
      byLength[length, default: Bucket()].calls += bucket.calls
      byLength[length, default: Bucket()].totalUs += bucket.totalUs
      for pid in bucket.pids where byLength[length]!.pids.count < Self.pidCap { byLength[length]!.pids.insert(pid) }
    }
    longest = max(longest, other.longest)
  }

  /// The bursts of at least `minimum`.
  public func atLeast(_ minimum: Int) -> (bursts: Int, calls: Int, totalUs: Int64, sessions: Int, longest: Int) {
    var result = (bursts: 0, calls: 0, totalUs: Int64(0), sessions: 0, longest: 0)
    var pids: Set<Int32> = []
    for (length, bucket) in byLength where length >= minimum {
      result.bursts += bucket.bursts
      result.calls += bucket.calls
      result.totalUs += bucket.totalUs
      result.longest = max(result.longest, length)
      pids.formUnion(bucket.pids)
    }
    result.sessions = pids.count
    return result
  }
}

/// Which bursts a tally counts: reads after a parent query (N+1), or single-row writes of one kind.
public struct BurstKey: Sendable, Hashable, Codable {
  public enum Category: String, Sendable, Codable { case read, write }
  public var category: Category
  /// For reads: the query run just before the burst began in its session, if any.
  public var parent: UInt64?
  public var child: UInt64
  public var kind: StatementKind
}

public struct SessionBursts: Sendable, Codable {
  /// Statements of one query further apart than this end its burst.
  public static let gapMs: Int64 = 1_000

  public private(set) var tallies: [BurstKey: BurstTally] = [:]

  /// The open burst of one query in one session.
  struct Burst {
    var parent: UInt64?
    var traits: StatementTraits
    var count = 0
    /// Steps whose values differ from the step before them in the burst (the first counts): a loop over rows
    /// sends a new key each time; the same lookup repeated is no such loop.
    var changes = 0
    var lastValues: UInt64?
    var lastMs: Int64?
    var totalUs: Int64 = 0
    var allSingleRow = true
    /// Other statements of the session between the burst's first and last step, and since its last step.
    var others = 0
    var othersSinceLast = 0

    /// Reads count their changes of key (steps without known values count as changes); writes their steps.
    var length: Int { traits.kind == .select ? changes : count }
  }

  struct Session {
    var lastFingerprint: UInt64?
    var lastMs: Int64?
    var bursts: [UInt64: Burst] = [:]
  }

  private var sessions: [Int32: Session] = [:]
  private var sinceSweep = 0

  public init() {}

  enum CodingKeys: String, CodingKey { case tallies }

  static func near(_ a: Int64?, _ b: Int64?) -> Bool {
    guard let a, let b else { return true }
    return b - a <= gapMs
  }

  public mutating func add(_ step: SessionStep) {
    // Changed in place, so that its dictionaries are never shared while they change (no copies).
    Self.add(step, to: &sessions[step.pid, default: Session()], tallies: &tallies)
    sinceSweep += 1
    if sinceSweep >= 4_096, let now = step.timeMs {
      sweep(before: now - Self.sweepMs)
      sinceSweep = 0
    }
  }

  private static func add(_ step: SessionStep, to session: inout Session, tallies: inout [BurstKey: BurstTally]) {
    func close(_ burst: Burst, child: UInt64) { Self.close(burst, child: child, pid: step.pid, into: &tallies) }
    if !session.bursts.isEmpty {
      // Bursts that have gone quiet are over; so are those after a parent query that runs again, since that
      // starts the next round of its loop.
      var ended: [UInt64] = []
      for (fingerprint, burst) in session.bursts
      where !Self.near(burst.lastMs, step.timeMs) || burst.parent == step.fingerprint {
        ended.append(fingerprint)
      }
      for fingerprint in ended {
        close(session.bursts.removeValue(forKey: fingerprint)!, child: fingerprint)
      }
      var index = session.bursts.startIndex
      while index != session.bursts.endIndex {
        if session.bursts.keys[index] != step.fingerprint { session.bursts.values[index].othersSinceLast += 1 }
        session.bursts.formIndex(after: &index)
      }
    }
    if step.traits.kind != .other {
      let parent =
        session.lastFingerprint != step.fingerprint && Self.near(session.lastMs, step.timeMs)
        ? session.lastFingerprint : nil
      Self.extend(&session.bursts[step.fingerprint, default: Burst(parent: parent, traits: step.traits)], with: step)
      if session.bursts.count > 32,
        let oldest = session.bursts.min(by: { ($0.value.lastMs ?? 0, $0.key) < ($1.value.lastMs ?? 0, $1.key) })
      {
        close(oldest.value, child: oldest.key)
        session.bursts.removeValue(forKey: oldest.key)
      }
    }
    session.lastFingerprint = step.fingerprint
    session.lastMs = step.timeMs
  }

  private static func extend(_ burst: inout Burst, with step: SessionStep) {
    burst.count += 1
    burst.others += burst.othersSinceLast
    burst.othersSinceLast = 0
    if step.values == nil || step.values != burst.lastValues || burst.count == 1 { burst.changes += 1 }
    burst.lastValues = step.values
    burst.lastMs = step.timeMs
    burst.totalUs += step.durationUs
    burst.allSingleRow = burst.allSingleRow && step.traits.singleRow
  }

  /// Sessions quiet this long are ended by a sweep. Far more than the gap, so that ending them changes nothing
  /// even when steps of different processes come a little out of time order.
  static let sweepMs: Int64 = 60_000

  /// Ends the sessions quiet since before `limit`, so that a log of many short sessions keeps little.
  private mutating func sweep(before limit: Int64) {
    for (pid, session) in sessions where (session.lastMs ?? limit) < limit {
      for (fingerprint, burst) in session.bursts { close(burst, child: fingerprint, pid: pid) }
      sessions.removeValue(forKey: pid)
    }
  }

  /// The end of a file: every burst is over.
  public mutating func finish() {
    for (pid, session) in sessions.sorted(by: { $0.key < $1.key }) {
      for (fingerprint, burst) in session.bursts.sorted(by: { $0.key < $1.key }) {
        close(burst, child: fingerprint, pid: pid)
      }
    }
    sessions.removeAll()
  }

  private mutating func close(_ burst: Burst, child: UInt64, pid: Int32) {
    Self.close(burst, child: child, pid: pid, into: &tallies)
  }

  private static func close(_ burst: Burst, child: UInt64, pid: Int32, into tallies: inout [BurstKey: BurstTally]) {
    // A loop sends its statements one after another: at least half the session's statements over the burst
    // are the burst's own. Queries that only recur among others (a mixed workload) are no loop.
    guard burst.count >= 2, burst.count >= burst.others else { return }
    let key: BurstKey
    switch burst.traits.kind {
    case .select:
      key = BurstKey(category: .read, parent: burst.parent, child: child, kind: .select)
    case .insert where burst.allSingleRow, .update, .delete:
      key = BurstKey(category: .write, parent: nil, child: child, kind: burst.traits.kind)
    default:
      return
    }
    tallies[key, default: BurstTally()].add(length: burst.length, calls: burst.count, totalUs: burst.totalUs, pid: pid)
  }

  /// Adds the tallies of another part (its sessions were finished).
  public mutating func merge(_ other: SessionBursts) {
    for (key, tally) in other.tallies { tallies[key, default: BurstTally()].merge(tally) }
  }
}
