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
      throw DatabaseError(message: "cannot connect: \(message)")
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
