// The thin Swift face of libpg_query: the PostgreSQL 15 parser as a C library.
import CPgQuery

public enum PgQuery {
  public struct ParseError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// 1-based character position in the statement, when the parser gave one.
    public var cursor: Int?
    public var description: String { cursor.map { "\(message) at character \($0)" } ?? message }
  }

  /// `pg_query_fingerprint` of a statement.
  public static func fingerprint(_ sql: String) -> Result<UInt64, ParseError> {
    let result = pg_query_fingerprint(sql)
    defer { pg_query_free_fingerprint_result(result) }
    if let error = result.error { return .failure(parseError(error)) }
    return .success(result.fingerprint)
  }

  /// `pg_query_normalize`: constants replaced by `$n`, everything else as written.
  public static func normalize(_ sql: String) -> Result<String, ParseError> {
    let result = pg_query_normalize(sql)
    defer { pg_query_free_normalize_result(result) }
    if let error = result.error { return .failure(parseError(error)) }
    return .success(String(cString: result.normalized_query))
  }

  /// `pg_query_parse`: the parse tree as JSON.
  public static func parseTreeJSON(_ sql: String) -> Result<String, ParseError> {
    let result = pg_query_parse(sql)
    defer { pg_query_free_parse_result(result) }
    if let error = result.error { return .failure(parseError(error)) }
    return .success(String(cString: result.parse_tree))
  }

  private static func parseError(_ error: UnsafeMutablePointer<PgQueryError>) -> ParseError {
    let message = error.pointee.message.map { String(cString: $0) } ?? "unknown parse error"
    let cursor = Int(error.pointee.cursorpos)
    return ParseError(message: message, cursor: cursor > 0 ? cursor : nil)
  }
}
