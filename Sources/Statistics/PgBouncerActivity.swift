// What PgBouncer's own log says: client logins and why clients were closed, new server connections, pooler
// errors and warnings, and its periodic `stats:` lines (transactions and queries per second, average
// transaction, query and wait times). Merges like the rest.
import LogInput
import ServerEvents

public struct PgBouncerActivity: Sendable, Codable {
  public var lines = 0
  public var logins = 0
  public var loginFailures = 0
  public var serverConnections = 0
  /// Client closes by reason, numbers folded (`client close request`, `no such database: N`, …).
  public var closes: [String: Int] = [:]
  /// WARNING, ERROR and FATAL messages, numbers and addresses folded.
  public var problems: [String: Int] = [:]
  /// Logins over time, for the peak and mean rate.
  public var arrivals = CallCounts()
  /// `stats:` lines: how many, their summed and peak rates, and their averages weighted by transactions.
  public var statsPeriods = 0
  public var xactsPerSecondSum: Int64 = 0
  public var queriesPerSecondSum: Int64 = 0
  public var peakXactsPerSecond: Int64 = 0
  public var peakQueriesPerSecond: Int64 = 0
  public var xactUsWeighted: Int64 = 0
  public var queryUsWeighted: Int64 = 0
  public var waitUsWeighted: Int64 = 0
  public var longestWaitUs: Int64 = 0

  public init() {}

  mutating func record(_ line: PgBouncerEvent, at time: LogTime?) {
    lines += 1
    if let problem = line.problem { problems[problem, default: 0] += 1 }
    switch line.kind {
    case .login:
      logins += 1
      if let time { arrivals.record(at: time) }
    case .loginFailed: loginFailures += 1
    case .serverConnection: serverConnections += 1
    case .close(let reason): closes[reason, default: 0] += 1
    case .stats(let xacts, let queries, let xactUs, let queryUs, let wait):
      statsPeriods += 1
      xactsPerSecondSum += xacts
      queriesPerSecondSum += queries
      peakXactsPerSecond = max(peakXactsPerSecond, xacts)
      peakQueriesPerSecond = max(peakQueriesPerSecond, queries)
      xactUsWeighted += xactUs * xacts
      queryUsWeighted += queryUs * xacts
      waitUsWeighted += wait * xacts
      longestWaitUs = max(longestWaitUs, wait)
    case .other: break
    }
  }

  mutating func merge(_ other: PgBouncerActivity) {
    lines += other.lines
    logins += other.logins
    loginFailures += other.loginFailures
    serverConnections += other.serverConnections
    for (k, v) in other.closes { closes[k, default: 0] += v }
    for (k, v) in other.problems { problems[k, default: 0] += v }
    arrivals.merge(other.arrivals)
    statsPeriods += other.statsPeriods
    xactsPerSecondSum += other.xactsPerSecondSum
    queriesPerSecondSum += other.queriesPerSecondSum
    peakXactsPerSecond = max(peakXactsPerSecond, other.peakXactsPerSecond)
    peakQueriesPerSecond = max(peakQueriesPerSecond, other.peakQueriesPerSecond)
    xactUsWeighted += other.xactUsWeighted
    queryUsWeighted += other.queryUsWeighted
    waitUsWeighted += other.waitUsWeighted
    longestWaitUs = max(longestWaitUs, other.longestWaitUs)
  }
}
