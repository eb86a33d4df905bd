// A minimal synchronous libpq connection: enough to read the catalog and run EXPLAIN. The usual PG*
// environment variables and ~/.pgpass apply, as libpq applies them. libpq is opened on the first connection
// (CLibPQ's shim), so a run without `--dsn` neither loads it nor needs it installed.
import CLibPQ
import Foundation

public struct DatabaseError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}

public final class PostgresConnection {
  private let connection: OpaquePointer
  private let pq: cpq_functions

  /// libpq's functions, or why it cannot be opened (Debian's package is libpq5).
  static func library() throws(DatabaseError) -> cpq_functions {
    var error: UnsafePointer<CChar>?
    guard let functions = cpq_load(&error) else {
      throw DatabaseError(
        message: "libpq (Debian's libpq5) could not be opened: "
          + (error.map { String(cString: $0) } ?? "unknown reason"))
    }
    return functions.pointee
  }

  /// Connects with a libpq connection string or URI (`host=/tmp port=5432 dbname=shop`, `postgresql://…`).
  public init(dsn: String) throws(DatabaseError) {
    let pq = try Self.library()
    guard let connection = pq.connectdb(dsn) else {
      throw DatabaseError(message: "libpq could not allocate a connection")
    }
    guard pq.status(connection) == CONNECTION_OK else {
      let message = String(cString: pq.error_message(connection)).trimmingTrailingNewlines
      pq.finish(connection)
      throw DatabaseError(message: "cannot connect: \(Self.masking(message, of: dsn))")
    }
    self.connection = connection
    self.pq = pq
  }

  deinit { pq.finish(connection) }

  /// Runs one statement (no parameters) and returns its rows as text; NULL is nil.
  @discardableResult
  public func query(_ sql: String) throws(DatabaseError) -> [[String?]] {
    guard let result = pq.exec(connection, sql) else {
      throw DatabaseError(message: String(cString: pq.error_message(connection)).trimmingTrailingNewlines)
    }
    defer { pq.clear(result) }
    let status = pq.result_status(result)
    guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
      throw DatabaseError(message: String(cString: pq.result_error_message(result)).trimmingTrailingNewlines)
    }
    var rows: [[String?]] = []
    let columns = pq.nfields(result)
    for row in 0..<pq.ntuples(result) {
      rows.append(
        (0..<columns).map { column in
          pq.getisnull(result, row, column) == 1 ? nil : String(cString: pq.getvalue(result, row, column))
        })
    }
    return rows
  }

  /// `message` with the password of `dsn` replaced by `****` wherever it appears: libpq echoes a malformed URI
  /// whole. The password is found as libpq finds it (`password=` or the URI's `user:password@`) and, where the
  /// string is too malformed for libpq to parse (or libpq cannot be opened), by those two forms in the text.
  public static func masking(_ message: String, of dsn: String) -> String {
    var secrets: [String] = []
    if let pq = try? library() {
      var failure: UnsafeMutablePointer<CChar>?
      if let options = pq.conninfo_parse(dsn, &failure) {
        var option = options
        while let keyword = option.pointee.keyword {
          if String(cString: keyword) == "password", let value = option.pointee.val {
            secrets.append(String(cString: value))
          }
          option += 1
        }
        pq.conninfo_free(options)
      }
      if let failure { pq.freemem(failure) }
    }
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
