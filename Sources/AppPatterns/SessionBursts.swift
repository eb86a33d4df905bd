// Finds, within each session, the bursts an ORM loop makes: the same query run again and again in quick
// succession. A burst of reads with a different key each time, after another query, is an N+1 loop; a burst of
// single-row writes is a row-by-row write. Statements come in per process in log order; everything is kept per
// process, so the result does not depend on how the input was cut or interleaved: a session open at the end of
// a file goes on in the next one when that one continues in time (rotation); one open at the end of a run is
// handed to the next through --state, or kept in a saved part together with the first steps of the processes
// the part begins with, so that a merge joins them as one read of the whole log would have.
import Fingerprint
import IntegerTables

/// One executed statement, as little as the detector needs.
public struct SessionStep: Sendable, Codable {
  public var pid: Int32
  /// Milliseconds since the epoch, when the log has times.
  public var timeMs: Int64?
  public var fingerprint: Fingerprint
  public var traits: StatementTraits
  /// A hash of the statement's values (its text and parameters): steps of one query with different keys
  /// differ here. Nil when the values are not in the record (extended protocol in stderr logs, whose
  /// parameters come on a line of their own): such steps count as different keys.
  public var values: UInt64?
  public var durationUs: Int64

  public init(
    pid: Int32, timeMs: Int64?, fingerprint: Fingerprint, traits: StatementTraits, values: UInt64?, durationUs: Int64
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
  public var parent: Fingerprint?
  public var child: Fingerprint
  public var kind: StatementKind
}

public struct SessionBursts: Sendable, Codable {
  /// Statements of one query further apart than this end its burst.
  public static let gapMs: Int64 = 1_000

  public private(set) var tallies: [BurstKey: BurstTally] = [:]

  /// The open burst of one query in one session.
  struct Burst: Codable {
    var parent: Fingerprint?
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

  struct Session: Codable {
    var lastFingerprint: Fingerprint?
    var lastMs: Int64?
    var bursts = OpenBursts()
  }

  /// The open bursts of one session, by the query they repeat: at most 33, kept in a list in the order they
  /// began. Every step of a session looks at all of them, and a list looked through is cheaper than a
  /// dictionary hashing a fingerprint for each (callgrind). Saved as the dictionary it replaced.
  struct OpenBursts: Codable {
    private(set) var entries: [(fingerprint: Fingerprint, burst: Burst)] = []

    init() {}

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }

    /// The open burst of `fingerprint`, begun as `begin` makes it when there is none.
    mutating func extend(_ fingerprint: Fingerprint, begin: () -> Burst, with step: SessionStep) {
      if let index = entries.firstIndex(where: { $0.fingerprint == fingerprint }) {
        SessionBursts.extend(&entries[index].burst, with: step)
      } else {
        entries.append((fingerprint, begin()))
        SessionBursts.extend(&entries[entries.count - 1].burst, with: step)
      }
    }

    /// Takes out the bursts `ends` says are over, in the order they began, and calls `other` with each
    /// one left.
    mutating func end(
      where ends: (Burst) -> Bool, closing close: (Burst, Fingerprint) -> Void,
      other: (inout Burst, Fingerprint) -> Void
    ) {
      var index = 0
      while index < entries.count {
        if ends(entries[index].burst) {
          let (fingerprint, burst) = entries.remove(at: index)
          close(burst, fingerprint)
        } else {
          other(&entries[index].burst, entries[index].fingerprint)
          index += 1
        }
      }
    }

    /// Takes out the burst that went quiet first (the lowest fingerprint among equals).
    mutating func removeOldest() -> (fingerprint: Fingerprint, burst: Burst)? {
      guard
        let index = entries.indices.min(by: {
          (entries[$0].burst.lastMs ?? 0, entries[$0].fingerprint) < (
            entries[$1].burst.lastMs ?? 0, entries[$1].fingerprint
          )
        })
      else { return nil }
      return entries.remove(at: index)
    }

    /// The bursts by fingerprint, lowest first.
    var sorted: [(fingerprint: Fingerprint, burst: Burst)] { entries.sorted { $0.fingerprint < $1.fingerprint } }

    init(from decoder: any Decoder) throws {
      let saved = try decoder.singleValueContainer().decode([Fingerprint: Burst].self)
      entries = saved.map { ($0.key, $0.value) }.sorted { $0.fingerprint < $1.fingerprint }
    }

    func encode(to encoder: any Encoder) throws {
      var c = encoder.singleValueContainer()
      try c.encode(Dictionary(uniqueKeysWithValues: entries.map { ($0.fingerprint, $0.burst) }))
    }
  }

  /// The first steps of a process seen in the first second of the input, up to its first gap: a part before
  /// this one may have left that process's session open, so they are kept as they came, not yet in a session
  /// or a tally. `closed`: the process went on after them (in `sessions`), or nothing may join them any more.
  struct Head: Codable {
    var steps: [SessionStep]
    var closed = false

    init(steps: [SessionStep], closed: Bool = false) {
      self.steps = steps
      self.closed = closed
    }

    // Saved compactly, a head may hold many steps: the process once, then one array per step (time,
    // fingerprint, kind, single row, offset, values, microseconds; null for none).
    enum CodingKeys: String, CodingKey { case pid, closed, steps }

    init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      closed = try c.decode(Bool.self, forKey: .closed)
      let pid = try c.decode(Int32.self, forKey: .pid)
      var list = try c.nestedUnkeyedContainer(forKey: .steps)
      steps = []
      while !list.isAtEnd {
        var step = try list.nestedUnkeyedContainer()
        let time = try step.decodeNil() ? nil : try step.decode(Int64.self)
        let fingerprint = try step.decode(Fingerprint.self)
        guard let kind = StatementKind(rawValue: try step.decode(UInt8.self)) else {
          throw DecodingError.dataCorruptedError(in: step, debugDescription: "not a statement kind")
        }
        let singleRow = try step.decode(Bool.self)
        let offset = try step.decodeNil() ? nil : try step.decode(Int.self)
        let values = try step.decodeNil() ? nil : try step.decode(UInt64.self)
        let duration = try step.decode(Int64.self)
        steps.append(
          SessionStep(
            pid: pid, timeMs: time, fingerprint: fingerprint,
            traits: StatementTraits(kind: kind, singleRow: singleRow, offset: offset), values: values,
            durationUs: duration))
      }
    }

    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(closed, forKey: .closed)
      try c.encode(steps.first?.pid ?? 0, forKey: .pid)
      var list = c.nestedUnkeyedContainer(forKey: .steps)
      for step in steps {
        var item = list.nestedUnkeyedContainer()
        if let time = step.timeMs { try item.encode(time) } else { try item.encodeNil() }
        try item.encode(step.fingerprint)
        try item.encode(step.traits.kind.rawValue)
        try item.encode(step.traits.singleRow)
        if let offset = step.traits.offset { try item.encode(offset) } else { try item.encodeNil() }
        if let values = step.values { try item.encode(values) } else { try item.encodeNil() }
        try item.encode(step.durationUs)
      }
    }
  }

  private var sessions = IntegerTable<Int32, Session>()
  private var heads = IntegerTable<Int32, Head>()
  private var sinceSweep = 0
  /// The first and latest step times of the input.
  private var firstMs: Int64?
  private var latestMs: Int64?
  /// A file ended: the next step tells whether its sessions go on (the next file continues in time).
  private var atFileEnd = false
  /// Whether the first steps of processes are kept as heads (see `Head`): on for a run whose part may be merged
  /// after another; off when --state hands the previous run's sessions over instead.
  public var keepsHeads = true

  /// At most this many steps a head, and in all heads (a process busy without a pause, or a thousand starting
  /// at once, is joined only as far as that).
  static let headCap = 1 << 16
  static let headStepsCap = 1 << 20
  private var headSteps = 0

  public init() {}

  enum CodingKeys: String, CodingKey { case tallies, sessions, heads, firstMs = "first_ms", latestMs = "latest_ms" }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    tallies = try c.decode([BurstKey: BurstTally].self, forKey: .tallies)
    sessions = try c.decodeIfPresent(IntegerTable<Int32, Session>.self, forKey: .sessions) ?? IntegerTable()
    heads = try c.decodeIfPresent(IntegerTable<Int32, Head>.self, forKey: .heads) ?? IntegerTable()
    firstMs = try c.decodeIfPresent(Int64.self, forKey: .firstMs)
    latestMs = try c.decodeIfPresent(Int64.self, forKey: .latestMs)
    headSteps = heads.values.reduce(0) { $0 + $1.steps.count }
  }

  /// Saves what a part needs to be joined with the parts around it: its tallies, its sessions still open at
  /// its end (those of the last second; older ones are over and counted) and its heads.
  public func encode(to encoder: any Encoder) throws {
    var settled = self
    settled.settle()
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(settled.tallies, forKey: .tallies)
    try c.encode(settled.sessions, forKey: .sessions)
    try c.encode(settled.heads, forKey: .heads)
    try c.encodeIfPresent(firstMs, forKey: .firstMs)
    try c.encodeIfPresent(latestMs, forKey: .latestMs)
  }

  /// Whether two steps of a process are close enough in time to belong to one burst. Time never runs backwards
  /// within a process: a step much earlier than the one before is another server's, or another day's.
  static func near(_ a: Int64?, _ b: Int64?) -> Bool {
    guard let a, let b else { return true }
    return b - a <= gapMs && a - b <= gapMs
  }

  public mutating func add(_ step: SessionStep) {
    if atFileEnd {
      atFileEnd = false
      // The next file does not continue the last one in time (another server's log, or an older one): every
      // session of the last one is over.
      if !(step.timeMs.map { time in latestMs.map { time >= $0 - Self.gapMs } ?? false } ?? false) { endSessions() }
    }
    if let time = step.timeMs {
      if firstMs == nil { firstMs = time }
      latestMs = max(latestMs ?? time, time)
    }
    if keepsHeads, keptAsHead(step) { return }
    // Changed in place, so that its dictionaries are never shared while they change (no copies).
    Self.add(step, to: &sessions[step.pid, default: Session()], tallies: &tallies)
    sinceSweep += 1
    if sinceSweep >= 4_096, let now = step.timeMs {
      sweep(before: now - Self.sweepMs)
      sinceSweep = 0
    }
  }

  /// Keeps the step in its process's head, when it belongs there (see `Head`).
  private mutating func keptAsHead(_ step: SessionStep) -> Bool {
    guard let index = heads.isEmpty ? nil : heads.index(forKey: step.pid) else {
      // A process's first step: a head when it comes in the first second of the input. (The time is looked at
      // before the sessions: past the first second, a step looks up its process once, not twice.)
      guard let time = step.timeMs, let firstMs, time - firstMs <= Self.gapMs, headSteps < Self.headStepsCap,
        sessions[step.pid] == nil
      else { return false }
      heads[step.pid] = Head(steps: [step])
      headSteps += 1
      return true
    }
    guard !heads.values[index].closed else { return false }
    if Self.near(heads.values[index].steps.last!.timeMs, step.timeMs) {
      if heads.values[index].steps.count < Self.headCap && headSteps < Self.headStepsCap {
        heads.values[index].steps.append(step)
        headSteps += 1
        return true
      }
      // Too long to keep: this run goes on from the head's session; a part before can no longer join it.
      var session = Session()
      for kept in heads.values[index].steps { Self.add(kept, to: &session, tallies: &tallies) }
      sessions[step.pid] = session
      headSteps -= heads.values[index].steps.count
      heads.values[index] = Head(steps: [], closed: true)
      return false
    }
    // A pause: the head's bursts are over, and the process goes on in a session of its own.
    heads.values[index].closed = true
    return false
  }

  private static func add(_ step: SessionStep, to session: inout Session, tallies: inout [BurstKey: BurstTally]) {
    func close(_ burst: Burst, child: Fingerprint) { Self.close(burst, child: child, pid: step.pid, into: &tallies) }
    if !session.bursts.isEmpty {
      // Bursts that have gone quiet are over; so are those after a parent query that runs again, since that
      // starts the next round of its loop. The others see one more statement that is not theirs.
      session.bursts.end(
        where: { !Self.near($0.lastMs, step.timeMs) || $0.parent == step.fingerprint },
        closing: { close($0, child: $1) },
        other: { burst, fingerprint in if fingerprint != step.fingerprint { burst.othersSinceLast += 1 } })
    }
    if step.traits.kind != .other {
      let parent =
        session.lastFingerprint != step.fingerprint && Self.near(session.lastMs, step.timeMs)
        ? session.lastFingerprint : nil
      session.bursts.extend(step.fingerprint, begin: { Burst(parent: parent, traits: step.traits) }, with: step)
      if session.bursts.count > 32, let oldest = session.bursts.removeOldest() {
        close(oldest.burst, child: oldest.fingerprint)
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
      for (fingerprint, burst) in session.bursts.entries { close(burst, child: fingerprint, pid: pid) }
      sessions.removeValue(forKey: pid)
    }
  }

  /// The end of a file: its sessions go on if the next file continues it in time (see `add`).
  public mutating func endFile() { atFileEnd = true }

  /// Every session is over (the heads stay, uncounted, for a part before this one to join).
  private mutating func endSessions() {
    for (pid, session) in sessions.sorted(by: { $0.key < $1.key }) { finish(session, pid: pid) }
    sessions.removeAll()
    for pid in heads.keys { heads[pid]!.closed = true }
  }

  private mutating func finish(_ session: Session, pid: Int32) {
    for (fingerprint, burst) in session.bursts.sorted {
      close(burst, child: fingerprint, pid: pid)
    }
  }

  /// Ends the sessions quiet for more than the gap before the input's latest step: no later step can extend
  /// them.
  private mutating func settle() {
    guard let latestMs else { return }
    for (pid, session) in sessions where !Self.near(session.lastMs, latestMs) {
      finish(session, pid: pid)
      sessions.removeValue(forKey: pid)
    }
  }

  /// The bursts as the report counts them: the input is over, every head and session is finished.
  public func finished() -> SessionBursts {
    var done = self
    for (pid, head) in heads.sorted(by: { $0.key < $1.key }) where !head.steps.isEmpty {
      var session = Session()
      for step in head.steps { Self.add(step, to: &session, tallies: &done.tallies) }
      done.finish(session, pid: pid)
    }
    done.heads.removeAll()
    done.headSteps = 0
    done.endSessions()
    return done
  }

  /// Sessions still open at the end of a run, for --state to hand to the next run (`resume`). Those quiet for
  /// more than the gap are over and counted now; the ones taken are left out of this run's tallies, and the next
  /// run counts them when they end.
  public mutating func takeOpenSessions() -> OpenSessions {
    settle()
    let open = OpenSessions(sessions: sessions.dictionary, latestMs: latestMs)
    sessions.removeAll()
    return open
  }

  /// Goes on from the sessions a previous run left open.
  public mutating func resume(_ open: OpenSessions) {
    for (pid, session) in open.sessions { sessions[pid] = session }
    if let time = open.latestMs {
      latestMs = max(latestMs ?? time, time)
      // The next step is checked as the first of a new file is.
      atFileEnd = true
    }
  }

  /// Sessions handed from one run to the next (see `takeOpenSessions`).
  public struct OpenSessions: Codable, Sendable {
    var sessions: [Int32: Session]
    var latestMs: Int64?

    public var isEmpty: Bool { sessions.isEmpty }
    public var count: Int { sessions.count }
    public static let none = OpenSessions(sessions: [:], latestMs: nil)

    /// Whether what was read from a state file is within what a run writes.
    public var isWellFormed: Bool {
      sessions.count <= 1 << 20 && sessions.values.allSatisfy { $0.bursts.count <= 64 && $0.isWellFormed }
    }
  }

  private mutating func close(_ burst: Burst, child: Fingerprint, pid: Int32) {
    Self.close(burst, child: child, pid: pid, into: &tallies)
  }

  private static func close(_ burst: Burst, child: Fingerprint, pid: Int32, into tallies: inout [BurstKey: BurstTally])
  {
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

  /// Adds a later part: its heads join the sessions this part left open, as if one run had read both.
  public mutating func merge(_ other: SessionBursts) {
    for (key, tally) in other.tallies { tallies[key, default: BurstTally()].merge(tally) }
    guard firstMs != nil || !sessions.isEmpty || !heads.isEmpty else {
      // Nothing before it: the later part is the whole.
      let merged = tallies
      self = other
      tallies = merged
      return
    }
    for (pid, head) in other.heads.sorted(by: { $0.key < $1.key }) {
      if let index = heads.index(forKey: pid), !heads.values[index].closed,
        let last = heads.values[index].steps.last, Self.near(last.timeMs, head.steps.first?.timeMs),
        heads.values[index].steps.count + head.steps.count <= Self.headCap
      {
        // This part saw the process only at its start, without a pause: one head still.
        heads.values[index].steps += head.steps
        heads.values[index].closed = head.closed
        headSteps += head.steps.count
        continue
      }
      if let index = heads.index(forKey: pid), !heads.values[index].closed { heads.values[index].closed = true }
      var session = sessions.removeValue(forKey: pid) ?? Session()
      for step in head.steps { Self.add(step, to: &session, tallies: &tallies) }
      if head.closed { finish(session, pid: pid) } else { sessions[pid] = session }
    }
    for (pid, session) in other.sessions.sorted(by: { $0.key < $1.key }) {
      if let mine = sessions.removeValue(forKey: pid) { finish(mine, pid: pid) }
      sessions[pid] = session
    }
    if let time = other.latestMs { latestMs = max(latestMs ?? time, time) }
    if firstMs == nil { firstMs = other.firstMs }
  }

  /// What is out of range in tallies, sessions and heads read from a saved state, if anything.
  public func savedProblem(maxCount: Int) -> String? {
    guard tallies.count <= maxCount else { return "\(tallies.count) tallies" }
    for tally in tallies.values {
      guard tally.byLength.count <= BurstTally.lengthCap + 1, (0...BurstTally.lengthCap).contains(tally.longest)
      else { return "a tally of \(tally.byLength.count) lengths, longest \(tally.longest)" }
      for (length, bucket) in tally.byLength {
        guard (0...BurstTally.lengthCap).contains(length), (0...maxCount).contains(bucket.bursts),
          (0...maxCount).contains(bucket.calls), bucket.totalUs >= 0, bucket.totalUs <= Int64(maxCount) << 20,
          bucket.pids.count <= BurstTally.pidCap
        else { return "a burst length \(length) with \(bucket.bursts) bursts, \(bucket.calls) calls" }
      }
    }
    guard OpenSessions(sessions: sessions.dictionary, latestMs: latestMs).isWellFormed else {
      return "\(sessions.count) open sessions"
    }
    guard heads.values.allSatisfy({ $0.steps.count <= Self.headCap }),
      heads.values.reduce(0, { $0 + $1.steps.count }) <= Self.headStepsCap
    else { return "heads of \(heads.values.reduce(0) { $0 + $1.steps.count }) steps" }
    return nil
  }
}

extension SessionBursts.Session {
  var isWellFormed: Bool {
    bursts.entries.allSatisfy { entry in
      let burst = entry.burst
      return burst.count >= 0 && burst.changes >= 0 && burst.changes <= burst.count && burst.totalUs >= 0
        && burst.others >= 0 && burst.othersSinceLast >= 0 && burst.count <= 1 << 40
    }
  }
}
