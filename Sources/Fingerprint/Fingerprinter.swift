import IntegerTables

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// Gives each statement its fingerprint, calling libpg_query once per distinct lexer shape, not once per line.

/// A fingerprint and how it was found.
public struct ResolvedStatement: Sendable {
  public var fingerprint: Fingerprint
  /// The parser's complaint when the fingerprint had to come from the lexer.
  public var parseError: String?
  /// This text's constants (not the shape's: the shape cache keeps none).
  public var constants = LiteralDigest()

  public init(fingerprint: Fingerprint, parseError: String?, constants: LiteralDigest = LiteralDigest()) {
    self.fingerprint = fingerprint
    self.parseError = parseError
    self.constants = constants
  }
}

public final class Fingerprinter {
  /// Shapes kept before the cache is emptied: bounds memory on logs whose statements never repeat.
  public static let defaultCacheLimit = 50_000

  /// A shape, with a hash of its bytes made once: the cache's table takes its buckets from that hash instead
  /// of running SipHash over the bytes (see `TableHash.bucket(_:seed:)`). A key looked up lends the lexer's bytes, valid
  /// until it lexes again; a key kept in the cache holds its own copy.
  struct ShapeKey: Hashable {
    private var kept: [UInt8]
    private var lent: UnsafeBufferPointer<UInt8>?
    var hash: UInt64

    init(lending bytes: UnsafeBufferPointer<UInt8>) {
      kept = []
      lent = bytes
      hash = Fingerprinter.textHash(bytes)
    }

    /// This key with a copy of its bytes, to be kept.
    func keeping() -> ShapeKey {
      guard let lent else { return self }
      var key = self
      key.kept = Array(lent)
      key.lent = nil
      return key
    }

    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
      if let lent { return body(lent) }
      return kept.withUnsafeBufferPointer(body)
    }

    static func == (a: ShapeKey, b: ShapeKey) -> Bool {
      a.hash == b.hash
        && a.withBytes { x in
          b.withBytes { y in x.count == y.count && (x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0) }
        }
    }
    func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    func _rawHashValue(seed: Int) -> Int { TableHash.bucket(hash, seed: seed) }
  }

  private var lexer = ShapeLexer()
  private var cache: [ShapeKey: ResolvedStatement] = [:]
  private let cacheLimit: Int
  /// Statement texts seen lately, by two independent 64-bit hashes of their bytes and their length: a text sent
  /// again (a prepared statement's `execute`, a query without literals) skips the lexer. The texts themselves are
  /// not kept, so an entry costs the same whatever the statement's length (a false hit needs both hashes and the
  /// length to agree by chance, about one in 2^128).
  private var texts: [TextKey: ResolvedStatement] = [:]
  /// Texts kept before the text cache is emptied: room for every distinct text of a busy log's minutes (the shop
  /// corpus has 6,819 in 21,875 statements) in 2 MiB per thread (a table of 16,384 slots at three quarters
  /// full), however many texts the log holds.
  public static let textCacheEntries = 12_000

  struct TextKey: Hashable {
    var hash: UInt64
    var check: UInt64
    var count: Int
    func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    func _rawHashValue(seed: Int) -> Int { TableHash.bucket(hash, seed: seed) }
  }

  /// Statements looked up, and how many needed libpg_query.
  public private(set) var lookups = 0
  public private(set) var parserCalls = 0

  public init(cacheLimit: Int = Fingerprinter.defaultCacheLimit) {
    self.cacheLimit = cacheLimit
  }

  /// The fingerprint of one statement's text.
  public func resolve(_ statement: UnsafeBufferPointer<UInt8>) -> ResolvedStatement {
    let (hash, check) = Self.hashes(statement)
    return resolve(statement, textHash: hash, checkHash: check)
  }

  /// The same, for a caller that has both of the text's hashes (`hashes`).
  public func resolve(
    _ statement: UnsafeBufferPointer<UInt8>, textHash hash: UInt64, checkHash check: UInt64
  ) -> ResolvedStatement {
    lookups += 1
    if statement.count > PgQuery.byteLimit { return resolveOversize(statement) }
    let key = TextKey(hash: hash, check: check, count: statement.count)
    if let seen = texts[key] { return seen }
    let resolved = resolveShape(statement)
    if texts.count >= Self.textCacheEntries { texts.removeAll(keepingCapacity: true) }
    texts[key] = resolved
    return resolved
  }

  /// `textHash` of `bytes`, and a second hash independent of it (other multipliers, each word turned half round
  /// and added rather than xored), in one pass over them: the two chains of multiplies run side by side and each
  /// word is loaded once (on 10 MiB of a varied log: 10.1 M instructions in two passes, 7.8 M in one;
  /// callgrind). `text` is `textHash`'s value exactly; both are held only in memory.
  @inline(__always)
  public static func hashes(_ bytes: UnsafeBufferPointer<UInt8>) -> (text: UInt64, check: UInt64) {
    guard let base = bytes.baseAddress else { return (0, 0) }
    let raw = UnsafeRawPointer(base)
    let count = bytes.count
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count)
    var c: UInt64 = 0xD6E8_FEB8_6659_FD93 &+ UInt64(count)
    var i = 0
    while i + 8 <= count {
      let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      h = (h ^ word) &* 0xFF51_AFD7_ED55_8CCD
      h ^= h >> 29
      c = (c &+ (word << 32 | word >> 32)) &* 0x9FB2_1C65_1E98_DF25
      c ^= c >> 28
      i += 8
    }
    let tail = tailWord(base, from: i, to: count)
    h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
    c = (c &+ tail) &* 0xBF58_476D_1CE4_E5B9
    return (h ^ (h >> 32), c ^ (c >> 31))
  }

  /// A fast hash of a statement's bytes, eight at a time: with the second of `hashes` and the length it keys the
  /// text cache, and alone it places a shape (whose bytes are compared).
  public static func textHash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    guard let base = bytes.baseAddress else { return 0 }
    let raw = UnsafeRawPointer(base)
    let count = bytes.count
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count)
    var i = 0
    while i + 8 <= count {
      h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
      h ^= h >> 29
      i += 8
    }
    h = (h ^ tailWord(base, from: i, to: count)) &* 0xC4CE_B9FE_1A85_EC53
    return h ^ (h >> 32)
  }

  /// The bytes from `start` to `end` (fewer than eight, after the whole words), first byte highest.
  @inline(__always)
  static func tailWord(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> UInt64 {
    var tail: UInt64 = 0
    for i in start..<end { tail = tail << 8 | UInt64(base[i]) }
    return tail
  }

  private func resolveShape(_ statement: UnsafeBufferPointer<UInt8>) -> ResolvedStatement {
    var resolved = resolveLexed(statement)
    resolved.constants = lexer.constants
    return resolved
  }

  private func resolveLexed(_ statement: UnsafeBufferPointer<UInt8>) -> ResolvedStatement {
    lexer.lex(statement)
    let key = lexer.withShape { ShapeKey(lending: $0) }
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
    cache[key.keeping()] = resolved
    return resolved
  }

  /// A statement longer than libpg_query is given. A shape seen before has its fingerprint already (the same
  /// shape has the same fingerprint). Otherwise the parser reads the lexer's normalized text, constants
  /// replaced by `$n`, which has the same fingerprint and is short when literals made the statement long (a
  /// 50 MB bytea INSERT); if that is still too long, the lexer's fingerprint serves. Neither the statement
  /// nor its result is cached: a fingerprint found this way must not stand for the shape's shorter statements.
  private func resolveOversize(_ statement: UnsafeBufferPointer<UInt8>) -> ResolvedStatement {
    lexer.lex(statement)
    if let hit = cache[lexer.withShape({ ShapeKey(lending: $0) })] { return hit }
    parserCalls += 1
    let normalized = LexerNormalizer.normalize(String(decoding: statement, as: UTF8.self))
    if case .success(let value) = PgQuery.fingerprint(normalized) {
      return ResolvedStatement(fingerprint: Fingerprint(value: value, source: .libpgQuery), parseError: nil)
    }
    var coarse = ShapeLexer()
    coarse.lex(statement, foldingAllConstants: true)
    return ResolvedStatement(
      fingerprint: Fingerprint(value: Self.fnv1a(coarse.shape), source: .lexer),
      parseError: PgQuery.tooLong(statement.count).description)
  }

  /// The shape key of a statement, for tests of the cache rule.
  public func shape(of statement: UnsafeBufferPointer<UInt8>) -> [UInt8] {
    lexer.lex(statement)
    return lexer.shape
  }

  /// Normalized text: libpg_query's when it parses, else the lexer's (constants replaced by `$n`).
  public static func normalize(_ sql: String) -> String {
    if sql.utf8.count > PgQuery.byteLimit { return LexerNormalizer.normalize(sql) }
    switch PgQuery.normalize(sql) {
    case .success(let text): return text
    case .failure: return LexerNormalizer.normalize(sql)
    }
  }

  /// 64-bit FNV-1a: stable across runs and machines, which Swift's Hasher is not.
  @inlinable
  public static func fnv1a<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
      hash ^= UInt64(b)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
  }
}
