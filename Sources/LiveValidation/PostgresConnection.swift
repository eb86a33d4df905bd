// A minimal synchronous libpq connection: enough to read the catalog and run EXPLAIN. The usual PG*
// environment variables and ~/.pgpass apply, as libpq applies them.
import CLibPQ
import Foundation

public struct DatabaseError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}

public final class PostgresConnection {
  private let connection: OpaquePointer

  /// Connects with a libpq connection string or URI (`host=/tmp port=5432 dbname=shop`, `postgresql://…`).
  public init(dsn: String) throws(DatabaseError) {
    guard let connection = PQconnectdb(dsn) else {
      throw DatabaseError(message: "libpq could not allocate a connection")
    }
    guard PQstatus(connection) == CONNECTION_OK else {
      let message = String(cString: PQerrorMessage(connection)).trimmingTrailingNewlines
      PQfinish(connection)
      throw DatabaseError(message: "cannot connect: \(Self.masking(message, of: dsn))")
    }
    self.connection = connection
  }

  deinit { PQfinish(connection) }

  /// Runs one statement (no parameters) and returns its rows as text; NULL is nil.
  @discardableResult
  public func query(_ sql: String) throws(DatabaseError) -> [[String?]] {
    guard let result = PQexec(connection, sql) else {
      throw DatabaseError(message: String(cString: PQerrorMessage(connection)).trimmingTrailingNewlines)
    }
    defer { PQclear(result) }
    let status = PQresultStatus(result)
    guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
      throw DatabaseError(message: String(cString: PQresultErrorMessage(result)).trimmingTrailingNewlines)
    }
    var rows: [[String?]] = []
    let columns = PQnfields(result)
    for row in 0..<PQntuples(result) {
      rows.append(
        (0..<columns).map { column in
          PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
        })
    }
    return rows
  }

  /// `message` with the password of `dsn` replaced by `****` wherever it appears: libpq echoes a malformed URI
  /// whole. The password is found as libpq finds it (`password=` or the URI's `user:password@`) and, where the
  /// string is too malformed for libpq to parse, by those two forms in the text.
  public static func masking(_ message: String, of dsn: String) -> String {
    var secrets: [String] = []
    var failure: UnsafeMutablePointer<CChar>?
    if let options = PQconninfoParse(dsn, &failure) {
      var option = options
      while let keyword = option.pointee.keyword {
        if String(cString: keyword) == "password", let value = option.pointee.val {
          secrets.append(String(cString: value))
        }
        option += 1
      }
      PQconninfoFree(options)
    }
    if let failure { PQfreemem(failure) }
    secrets += passwordsWritten(in: dsn)
    var masked = message
    for secret in Set(secrets) where !secret.isEmpty {
      masked = masked.replacingOccurrences(of: secret, with: "****")
      // libpq may echo the URI with its percent-escapes decoded, or the keyword value without its quotes.
      if let decoded = secret.removingPercentEncoding, !decoded.isEmpty {
        masked = masked.replacingOccurrences(of: decoded, with: "****")
      }
    }
    return masked
  }

  /// Passwords as a connection string writes them, read without libpq: `scheme://user:PASSWORD@…` and
  /// `password=VALUE` (quoted or not, up to the end where the quote is not closed).
  static func passwordsWritten(in dsn: String) -> [String] {
    var found: [String] = []
    if let scheme = dsn.range(of: "://") {
      let rest = dsn[scheme.upperBound...]
      let authority = rest.prefix { $0 != "/" && $0 != "?" }
      if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
        found.append(String(authority[authority.index(after: colon)..<at]))
      }
      if let query = rest.firstIndex(of: "?") {
        for pair in rest[rest.index(after: query)...].split(separator: "&") where pair.hasPrefix("password=") {
          found.append(String(pair.dropFirst("password=".count)))
        }
      }
    }
    var text = Substring(dsn)
    while let keyword = text.range(of: "password") {
      var value = text[keyword.upperBound...].drop { $0 == " " }
      guard value.first == "=" else {
        text = text[keyword.upperBound...]
        continue
      }
      value = value.dropFirst().drop { $0 == " " }
      if value.first == "'" {
        let body = value.dropFirst()
        let end = body.firstIndex(of: "'") ?? body.endIndex
        found.append(String(body[..<end]))
      } else {
        found.append(String(value.prefix { $0 != " " }))
      }
      text = text[keyword.upperBound...]
    }
    return found
  }

  /// Quotes a string as an SQL literal.
  public static func literal(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
  }
}

extension String {
  var trimmingTrailingNewlines: String {
    var text = self
    while text.last == "\n" { text.removeLast() }
    return text
  }
}
