// The thin Swift face of libpg_query: the PostgreSQL 15 parser as a C library.
import CPgQuery

#if canImport(Glibc)
  import Glibc
#endif

/// Every call is guarded against statements that would stall or crash the run. libpg_query reads about
/// 5 MB/s of a many-row INSERT and needs some 30 bytes of memory per byte read, so statements longer than
/// `byteLimit` are refused with a `ParseError` (callers fall back to the lexer). Its tree walks recurse once
/// per nesting level with no depth check: `SELECT 1+1+…` of 290 kB overflows an 8 MiB stack. So statements
/// longer than `inlineBytes` are parsed on a thread of their own with a 1 GiB stack (reserved, used as needed),
/// which holds the deepest statement `byteLimit` allows (measured in docs/hostile-input.md).
public enum PgQuery {
  /// The longest statement handed to libpg_query.
  public static let byteLimit = 1 << 20
  /// Statements up to this length cannot nest deep enough to matter, and are parsed on the caller's thread.
  static let inlineBytes = 2 << 10
  static let deepStackBytes = 1 << 30

  public struct ParseError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// 1-based character position in the statement, when the parser gave one.
    public var cursor: Int?
    public var description: String { cursor.map { "\(message) at character \($0)" } ?? message }
  }

  /// `pg_query_fingerprint` of a statement.
  public static func fingerprint(_ sql: String) -> Result<UInt64, ParseError> {
    guarded(sql) { sql in
      let result = pg_query_fingerprint(sql)
      defer { pg_query_free_fingerprint_result(result) }
      if let error = result.error { return .failure(parseError(error)) }
      return .success(result.fingerprint)
    }
  }

  /// `pg_query_normalize`: constants replaced by `$n`, everything else as written.
  public static func normalize(_ sql: String) -> Result<String, ParseError> {
    guarded(sql) { sql in
      let result = pg_query_normalize(sql)
      defer { pg_query_free_normalize_result(result) }
      if let error = result.error { return .failure(parseError(error)) }
      return .success(String(cString: result.normalized_query))
    }
  }

  /// `pg_query_parse`: the parse tree as JSON.
  public static func parseTreeJSON(_ sql: String) -> Result<String, ParseError> {
    guarded(sql) { sql in
      let result = pg_query_parse(sql)
      defer { pg_query_free_parse_result(result) }
      if let error = result.error { return .failure(parseError(error)) }
      return .success(String(cString: result.parse_tree))
    }
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

  /// The refusal for statements over `byteLimit`.
  public static func tooLong(_ bytes: Int) -> ParseError {
    ParseError(message: "statement of \(bytes) bytes is longer than the \(byteLimit >> 20) MiB given to libpg_query")
  }

  /// Runs one libpg_query call under the guards above.
  static func guarded<T>(_ sql: String, _ call: (String) -> Result<T, ParseError>) -> Result<T, ParseError> {
    let bytes = sql.utf8.count
    if bytes > byteLimit { return .failure(tooLong(bytes)) }
    if bytes <= inlineBytes { return call(sql) }
    var result: Result<T, ParseError> = .failure(ParseError(message: "no thread could be started for the parser"))
    onDeepStack { result = call(sql) }
    return result
  }

  /// What crosses to the parser thread: the call to run.
  private final class Call {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
  }

  /// Runs `body` on a new thread with a `deepStackBytes` stack and waits for it; does nothing if no thread
  /// could be started.
  static func onDeepStack(_ body: () -> Void) {
    withoutActuallyEscaping(body) { body in
      var attributes = pthread_attr_t()
      pthread_attr_init(&attributes)
      defer { pthread_attr_destroy(&attributes) }
      pthread_attr_setstacksize(&attributes, deepStackBytes)
      let call = Unmanaged.passRetained(Call(body))
      var thread = pthread_t()
      let started = pthread_create(
        &thread, &attributes,
        { raw in
          Unmanaged<Call>.fromOpaque(raw!).takeRetainedValue().body()
          return nil
        }, call.toOpaque())
      if started == 0 {
        pthread_join(thread, nil)
      } else {
        call.release()
      }
    }
  }
}
