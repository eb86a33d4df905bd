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

  /// Splits a script into its statements with libpg_query's scanner (tolerates statements that do not parse).
  public static func split(_ sql: String) -> [String] {
    let bytes = Array(sql.utf8)
    let result = pg_query_split_with_scanner(sql)
    defer { pg_query_free_split_result(result) }
    guard result.error == nil, let statements = result.stmts else { return [] }
    var out: [String] = []
    for index in 0..<Int(result.n_stmts) {
      guard let statement = statements[index]?.pointee else { continue }
      let start = Int(statement.stmt_location)
      let end = min(bytes.count, start + Int(statement.stmt_len))
      guard start < end else { continue }
      out.append(String(decoding: bytes[start..<end], as: UTF8.self))
    }
    return out
  }

  private static func parseError(_ error: UnsafeMutablePointer<PgQueryError>) -> ParseError {
    let message = error.pointee.message.map { String(cString: $0) } ?? "unknown parse error"
    let cursor = Int(error.pointee.cursorpos)
    return ParseError(message: message, cursor: cursor > 0 ? cursor : nil)
  }
}
