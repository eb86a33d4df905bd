// Database time per request: statements whose tags carry the same W3C `traceparent` trace id were sent for one
// request. A request is over once its trace has been quiet for `idleMs` of log time; then its statements and
// their time go to its endpoint's figures (requests, statements per request, the distribution of database time
// per request, requests over --request-budget). Memory holds only the requests still open.
//
// A piece of the log may start in the middle of a request: the requests it sees begin within `idleMs` of its
// first statement stay open ("early") for the merge, which joins them with the piece before, as one pass over
// the whole would have. What is open at the end of the run is finished with it.

public struct RequestTimes: Sendable, Codable {
  /// A request still open.
  struct Open: Sendable, Codable {
    var endpoint: String?
    var statements = 0
    var totalUs: Int64 = 0
    var firstMs: Int64
    var lastMs: Int64
    /// Began within `idleMs` of this side's first statement: a part before may hold its start.
    var early: Bool
  }

  /// One endpoint's finished requests.
  public struct Requests: Sendable, Codable {
    public var requests = 0
    public var statements = 0
    public var maxStatements = 0
    public var totalUs: Int64 = 0
    public var maxUs: Int64 = 0
    /// Requests whose database time reached the budget.
    public var overBudget = 0
    /// Database time per request.
    public var distribution = DurationDistribution()

    mutating func add(_ other: Requests) {
      requests += other.requests
      statements += other.statements
      maxStatements = max(maxStatements, other.maxStatements)
      totalUs += other.totalUs
      maxUs = max(maxUs, other.maxUs)
      overBudget += other.overBudget
      distribution.merge(other.distribution)
    }
  }

  /// A trace quiet for this long has ended its request.
  public static let idleMs: Int64 = 10_000
  /// What makes a request slow for the report (--request-budget); 100 ms by default.
  public var budgetUs: Int64 = 100_000

  /// By a hash of the trace id.
  var open: [UInt64: Open] = [:]
  /// Finished requests by endpoint ("" for requests whose statements name none).
  public private(set) var byEndpoint: [String: Requests] = [:]
  /// The first statement's time on this side, and the latest.
  var firstMs: Int64?
  var lastMs: Int64?
  private var sinceSweep = 0

  public init() {}

  /// A timed statement of the request with trace `trace` at `timeMs`.
  mutating func add(trace: UInt64, endpoint: String?, durationUs: Int64, timeMs: Int64) {
    if firstMs == nil { firstMs = timeMs }
    lastMs = max(lastMs ?? timeMs, timeMs)
    var request =
      open[trace] ?? Open(endpoint: nil, firstMs: timeMs, lastMs: timeMs, early: timeMs - firstMs! < Self.idleMs)
    request.statements += 1
    request.totalUs += durationUs
    request.lastMs = max(request.lastMs, timeMs)
    if request.endpoint == nil { request.endpoint = endpoint }
    open[trace] = request
    sinceSweep += 1
    if sinceSweep >= 256 {
      sinceSweep = 0
      sweep(now: timeMs)
    }
  }

  /// Finishes the requests quiet since `now - idleMs` that may not continue before this side.
  private mutating func sweep(now: Int64) {
    for (trace, request) in open where !request.early && now - request.lastMs >= Self.idleMs {
      finish(request)
      open.removeValue(forKey: trace)
    }
  }

  private mutating func finish(_ request: Open) {
    var requests = Requests()
    requests.requests = 1
    requests.statements = request.statements
    requests.maxStatements = request.statements
    requests.totalUs = request.totalUs
    requests.maxUs = request.totalUs
    requests.overBudget = request.totalUs >= budgetUs ? 1 : 0
    requests.distribution.record(request.totalUs)
    byEndpoint[request.endpoint ?? "", default: Requests()].add(requests)
  }

  /// Adds what a later side saw: its early requests join this side's open ones of the same trace.
  mutating func merge(_ later: RequestTimes) {
    let nothingBefore = firstMs == nil && byEndpoint.isEmpty
    for (trace, request) in later.open.sorted(by: { $0.key < $1.key }) {
      if var mine = open[trace], request.early {
        mine.statements += request.statements
        mine.totalUs += request.totalUs
        mine.lastMs = max(mine.lastMs, request.lastMs)
        if mine.endpoint == nil { mine.endpoint = request.endpoint }
        open[trace] = mine
      } else {
        // A request of this side with the same trace that the later one does not continue is over.
        if let mine = open[trace] { finish(mine) }
        var request = request
        request.early = request.early && nothingBefore
        open[trace] = request
      }
    }
    for (endpoint, requests) in later.byEndpoint { byEndpoint[endpoint, default: Requests()].add(requests) }
    if let first = later.firstMs { firstMs = min(firstMs ?? first, first) }
    if let last = later.lastMs {
      lastMs = max(lastMs ?? last, last)
      // This side's requests that the later one shows over are finished now.
      sweep(now: last)
    }
  }

  /// Requests handed from one --state run to the next: those whose trace was active within `idleMs` of the
  /// run's last statement, which the next run may go on with.
  public struct OpenRequests: Codable, Sendable {
    var open: [UInt64: Open]
    var lastMs: Int64?

    public var isEmpty: Bool { open.isEmpty }
    public static let none = OpenRequests(open: [:], lastMs: nil)

    /// Whether what was read from a state file is within what a run writes.
    public var isWellFormed: Bool {
      open.count <= 1 << 20
        && open.values.allSatisfy { $0.statements > 0 && $0.totalUs >= 0 && $0.firstMs <= $0.lastMs }
    }
  }

  /// At the end of a --state run whose last record is at `logEndMs`: finishes the requests already over (their
  /// trace quiet for `idleMs` before the log's end, traced statements or not), and hands the others to the next
  /// run (they count in its report, whole, rather than split between two).
  mutating func takeOpen(logEndMs: Int64?) -> OpenRequests {
    guard let last = [lastMs, logEndMs].compactMap({ $0 }).max() else { return .none }
    var carried: [UInt64: Open] = [:]
    for (trace, request) in open.sorted(by: { $0.key < $1.key }) {
      if last - request.lastMs >= Self.idleMs {
        finish(request)
      } else {
        var request = request
        request.early = false
        carried[trace] = request
      }
    }
    open.removeAll()
    return OpenRequests(open: carried, lastMs: last)
  }

  /// Goes on with the requests a previous run handed over.
  mutating func resume(_ carried: OpenRequests) {
    for (trace, request) in carried.open { open[trace] = request }
    if let last = carried.lastMs { lastMs = max(lastMs ?? last, last) }
  }

  /// Finishes every request: the input is over.
  mutating func finishAll() {
    for (_, request) in open.sorted(by: { $0.key < $1.key }) { finish(request) }
    open.removeAll()
  }

  enum CodingKeys: String, CodingKey {
    case budgetUs = "budget_us", open, byEndpoint = "by_endpoint", firstMs = "first_ms", lastMs = "last_ms"
  }
}
