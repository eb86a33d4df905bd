// What PgBouncer's own log says: client logins and why clients were closed, new server connections, pooler
// errors and warnings, and its periodic `stats:` lines (transactions and queries per second, average
// transaction, query and wait times). Merges like the rest.
import LogFormats

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

  mutating func record(_ entry: LogEntry) {
    lines += 1
    let text = entry.message.string
    // `C-0x…: db/user@addr:port message` for client lines, `S-0x…:` for server lines.
    var message = Substring(text)
    if text.hasPrefix("C-0x") || text.hasPrefix("S-0x"), let colon = text.firstRange(of: ": ") {
      let rest = text[colon.upperBound...]
      message = rest.firstRange(of: " ").map { rest[$0.upperBound...] } ?? rest
    }
    if entry.severity.isError || entry.severity == .warning {
      problems[StatementAggregator.messageShape(message), default: 0] += 1
    }
    if message.hasPrefix("login attempt: ") {
      logins += 1
      if let time = entry.time { arrivals.record(at: time) }
    } else if message.hasPrefix("login failed: ") {
      loginFailures += 1
    } else if message.hasPrefix("new connection to server") {
      serverConnections += 1
    } else if message.hasPrefix("closing because: ") {
      var reason = message.dropFirst("closing because: ".count)
      if let age = reason.firstRange(of: " (age=") { reason = reason[..<age.lowerBound] }
      closes[StatementAggregator.messageShape(reason), default: 0] += 1
    } else if message.hasPrefix("stats: ") {
      func figure(_ unit: String) -> Int64 {
        guard let end = message.firstRange(of: " " + unit) else { return 0 }
        let digits = message[..<end.lowerBound].reversed().prefix { $0.isNumber }
        return Int64(String(digits.reversed())) ?? 0
      }
      let xacts = figure("xacts/s")
      statsPeriods += 1
      xactsPerSecondSum += xacts
      queriesPerSecondSum += figure("queries/s")
      peakXactsPerSecond = max(peakXactsPerSecond, xacts)
      peakQueriesPerSecond = max(peakQueriesPerSecond, figure("queries/s"))
      xactUsWeighted += figure("us, query") * xacts
      queryUsWeighted += figure("us, wait") * xacts
      let wait =
        message.firstRange(of: "wait ").map { Int64(message[$0.upperBound...].prefix { $0.isNumber }) ?? 0 } ?? 0
      waitUsWeighted += wait * xacts
      longestWaitUs = max(longestWaitUs, wait)
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
