// A line of PgBouncer's own log, read: logins, failures, server connections, closes with their reason, and the
// periodic `stats:` line.
import LogFormats
import LogInput

public struct PgBouncerEvent {
  public enum Kind: Equatable {
    case login
    case loginFailed
    case serverConnection
    /// `closing because: …`, its reason with numbers replaced.
    case close(reason: String)
    /// `stats: N xacts/s, N queries/s, … xact N us, query N us, wait N us`.
    case stats(xactsPerSecond: Int64, queriesPerSecond: Int64, xactUs: Int64, queryUs: Int64, waitUs: Int64)
    case other
  }

  public var kind: Kind
  /// The shape of a warning or error's message, for counting problems by kind.
  public var problem: String?

  init(_ entry: LogEntry) {
    let text = entry.message.string
    // `C-0x…: db/user@addr:port message` for client lines, `S-0x…:` for server lines.
    var message = Substring(text)
    if text.hasPrefix("C-0x") || text.hasPrefix("S-0x"), let colon = text.firstRange(of: ": ") {
      let rest = text[colon.upperBound...]
      message = rest.firstRange(of: " ").map { rest[$0.upperBound...] } ?? rest
    }
    problem = entry.severity.isError || entry.severity == .warning ? MessageText.shape(message) : nil
    if message.hasPrefix("login attempt: ") {
      kind = .login
    } else if message.hasPrefix("login failed: ") {
      kind = .loginFailed
    } else if message.hasPrefix("new connection to server") {
      kind = .serverConnection
    } else if message.hasPrefix("closing because: ") {
      var reason = message.dropFirst("closing because: ".count)
      if let age = reason.firstRange(of: " (age=") { reason = reason[..<age.lowerBound] }
      kind = .close(reason: MessageText.shape(reason))
    } else if message.hasPrefix("stats: ") {
      func figure(_ unit: String) -> Int64 {
        guard let end = message.firstRange(of: " " + unit) else { return 0 }
        let digits = message[..<end.lowerBound].reversed().prefix { $0.isNumber }
        return Int64(String(digits.reversed())) ?? 0
      }
      let wait =
        message.firstRange(of: "wait ").map { Int64(message[$0.upperBound...].prefix { $0.isNumber }) ?? 0 } ?? 0
      kind = .stats(
        xactsPerSecond: figure("xacts/s"), queriesPerSecond: figure("queries/s"), xactUs: figure("us, query"),
        queryUs: figure("us, wait"), waitUs: wait)
    } else {
      kind = .other
    }
  }
}
