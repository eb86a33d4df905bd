// Gives each statement its fingerprint, calling libpg_query once per distinct lexer shape, not once per line.

/// A fingerprint and how it was found.
public struct ResolvedStatement: Sendable {
  public var fingerprint: Fingerprint
  /// The parser's complaint when the fingerprint had to come from the lexer.
  public var parseError: String?
}

public final class Fingerprinter {
  /// Shapes kept before the cache is emptied: bounds memory on logs whose statements never repeat.
  public static let defaultCacheLimit = 200_000

  struct ShapeKey: Hashable {
    var bytes: [UInt8]
    func hash(into hasher: inout Hasher) {
      bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
  }

  private var lexer = ShapeLexer()
  private var cache: [ShapeKey: ResolvedStatement] = [:]
  private let cacheLimit: Int
  private var text: [UInt8] = []

  /// Statements looked up, and how many needed libpg_query.
  public private(set) var lookups = 0
  public private(set) var parserCalls = 0

  public init(cacheLimit: Int = Fingerprinter.defaultCacheLimit) {
    self.cacheLimit = cacheLimit
  }

  /// The fingerprint of one statement's text.
  public func resolve(_ statement: UnsafeBufferPointer<UInt8>) -> ResolvedStatement {
    lookups += 1
    lexer.lex(statement)
    let key = ShapeKey(bytes: lexer.shape)
    if let hit = cache[key] { return hit }
    parserCalls += 1
    let sql = String(decoding: statement, as: UTF8.self)
    let resolved: ResolvedStatement
    switch PgQuery.fingerprint(sql) {
    case .success(let value):
      resolved = ResolvedStatement(fingerprint: Fingerprint(value: value, source: .libpgQuery), parseError: nil)
    case .failure(let error):
      var coarse = ShapeLexer()
      coarse.lex(statement, foldingAllConstants: true)
      resolved = ResolvedStatement(
        fingerprint: Fingerprint(value: Self.fnv1a(coarse.shape), source: .lexer), parseError: error.description)
    }
    if cache.count >= cacheLimit { cache.removeAll(keepingCapacity: true) }
    cache[key] = resolved
    return resolved
  }

  /// The shape key of a statement, for tests of the cache rule.
  public func shape(of statement: UnsafeBufferPointer<UInt8>) -> [UInt8] {
    lexer.lex(statement)
    return lexer.shape
  }

  /// Normalized text: libpg_query's when it parses, else the lexer's (constants replaced by `$n`).
  public static func normalize(_ sql: String) -> String {
    switch PgQuery.normalize(sql) {
    case .success(let text): return text
    case .failure: return LexerNormalizer.normalize(sql)
    }
  }

  /// 64-bit FNV-1a: stable across runs and machines, which Swift's Hasher is not.
  public static func fnv1a<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
      hash ^= UInt64(b)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
  }
}
