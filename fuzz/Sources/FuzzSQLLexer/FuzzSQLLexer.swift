// Fuzzes the SQL side: the byte lexer that makes a statement's shape, the fingerprint cache in front of
// libpg_query, the normalized text, and the application advisor's scanners (statement kind, VALUES rows,
// OFFSET, select-list width). One fingerprinter serves every input, so its caches fill and evict
// as they do in a long run.
import AppPatterns
import Fingerprint
import FuzzSupport

nonisolated(unsafe) var fingerprinter = Fingerprinter(cacheLimit: 512)

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let statement = UnsafeBufferPointer(start: data, count: size)
  var lexer = ShapeLexer()
  lexer.lex(statement)
  let shape = lexer.shape
  lexer.lex(statement, foldingAllConstants: true)
  let first = fingerprinter.resolve(statement)
  // The same text twice gives the same fingerprint, whether from the cache or the parser.
  let second = fingerprinter.resolve(statement)
  precondition(first.fingerprint == second.fingerprint, "fingerprint changed between two calls")
  precondition(fingerprinter.shape(of: statement) == shape, "the shape differs between two lexer runs")
  let normalized = Fingerprinter.normalize(String(decoding: statement, as: UTF8.self))
  // The application advisor's scanners read the same statements and their normalized text.
  _ = StatementTraits.of(statement)
  _ = SelectList.of(normalized)
  return 0
}

@_cdecl("FuzzSQLLexer_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  runFuzzer(argc: argc, argv: argv, fuzz)
}
