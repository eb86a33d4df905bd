// The messages `log_connections` and `log_disconnections` write, read into their parts. They name the user,
// database, application and host of a session in words of their own, which is what prefix inference takes as
// evidence of which field is which, and what the connection statistics count.
//
//   connection received: host=10.0.0.5 port=54012                     (host=[local] on a Unix socket)
//   connection authorized: user=app database=shop application_name=PostgreSQL JDBC Driver SSL enabled (…)
//   replication connection authorized: user=repl application_name=walreceiver
//   disconnection: session time: 0:00:01.234 user=app database=shop host=10.0.0.5 port=54012
import LogInput

public enum ConnectionMessage {
  case received(host: ByteView, port: ByteView?)
  case authorized(user: ByteView, database: ByteView?, application: ByteView?)
  case disconnection(user: ByteView, database: ByteView, host: ByteView, port: ByteView?)

  /// Reads a connection message, or nil for any other text.
  public static func parse(_ message: ByteView) -> ConnectionMessage? {
    guard let first = message.first else { return nil }
    switch first {
    case UInt8(ascii: "c"):
      if message.matches("connection received: host=", at: 0) {
        let rest = message.slice(from: 26)
        if let space = rest.firstIndex(of: " port=", from: 0) {
          return .received(host: rest.slice(0, space), port: rest.slice(from: space + 6))
        }
        return .received(host: rest, port: nil)
      }
      if message.matches("connection authorized: user=", at: 0) {
        return authorized(message.slice(from: 28), replication: false)
      }
    case UInt8(ascii: "r"):
      if message.matches("replication connection authorized: user=", at: 0) {
        return authorized(message.slice(from: 40), replication: true)
      }
    case UInt8(ascii: "d"):
      guard message.matches("disconnection: session time: ", at: 0),
        let userAt = message.firstIndex(of: " user=", from: 29)
      else { return nil }
      let rest = message.slice(from: userAt + 6)
      // Names may hold spaces: each runs to the label of the next.
      guard let databaseAt = rest.firstIndex(of: " database=", from: 0),
        let hostAt = rest.firstIndex(of: " host=", from: databaseAt + 10)
      else { return nil }
      let hostText = rest.slice(from: hostAt + 6)
      var port: ByteView?
      var host = hostText
      if let portAt = hostText.firstIndex(of: " port=", from: 0) {
        host = hostText.slice(0, portAt)
        port = hostText.slice(from: portAt + 6)
      }
      return .disconnection(
        user: rest.slice(0, databaseAt), database: rest.slice(databaseAt + 10, hostAt), host: host, port: port)
    default:
      break
    }
    return nil
  }

  /// `user=U[ database=D][ application_name=A][ SSL enabled (…)| GSS (…)]`, from after `user=`.
  private static func authorized(_ rest: ByteView, replication: Bool) -> ConnectionMessage {
    // What follows the names: TLS or GSSAPI details.
    var end = rest.count
    for suffix in [" SSL enabled (", " GSS (", " GSS "] as [StaticString] {
      if let at = rest.firstIndex(of: suffix, from: 0), at < end { end = at }
    }
    let text = rest.slice(0, end)
    let applicationAt = text.firstIndex(of: " application_name=", from: 0)
    let namesEnd = applicationAt ?? text.count
    let application = applicationAt.map { text.slice(from: $0 + 18) }
    if !replication, let databaseAt = text.slice(0, namesEnd).firstIndex(of: " database=", from: 0) {
      return .authorized(
        user: text.slice(0, databaseAt), database: text.slice(databaseAt + 10, namesEnd), application: application)
    }
    return .authorized(user: text.slice(0, namesEnd), database: nil, application: application)
  }
}
