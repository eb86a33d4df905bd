// Fuzzes the log-record parsers and what reads their entries: the first byte picks the format (and for stderr
// and syslog the log_line_prefix), the rest is the log. The log is cut into pieces by pgsift's own cutter (its
// invariants checked), and every line goes through the parser, the event classifier and the statement
// aggregate, as in `pgsift analyze`.
import FuzzSupport
import LogFormats
import LogInput

/// The prefixes of the real logs in fixtures/ and ../shared/corpus (syslog's is the last), in the order
/// `fuzz/make-seeds` numbers them.
let prefixes = [
  "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ", "%m [%p] %q%u@%d ", "%t:%r:%u@%d:[%p]: ",
  "%m [%p]: [%l-1] db=%d,user=%u ", "%t-%c-", "%n %c %l %e [%a] %q%u@%d ", "user=%u,db=%d,app=%a,client=%h ",
].map { try! LinePrefix($0) }

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data, size > 0 else { return 0 }
  let selector = Int(data[0])
  let log = UnsafeBufferPointer(start: data + 1, count: size - 1)
  let prefix = prefixes[selector / 5 % prefixes.count]
  // The cutter that hands pgsift's parsers their pieces, at a piece size the input picks.
  let pieceBytes = 1 + (selector >> 3) * 97
  switch selector % 5 {
  case 0: cutAndCheck(.stderr(prefix), log, pieceBytes: pieceBytes)
  case 1: cutAndCheck(.csvlog, log, pieceBytes: pieceBytes)
  case 2: cutAndCheck(.jsonlog, log, pieceBytes: pieceBytes)
  case 4: cutAndCheck(.pgbouncer, log, pieceBytes: pieceBytes)
  default: break
  }
  switch selector % 5 {
  case 0:
    // With `linesStay` the parser keeps views of the lines until `finish`: they must come from bytes that stay.
    let stay = selector & 0x80 != 0
    parseAndCheck(StderrParser(prefix: prefix, file: "fuzz", linesStay: stay), log, inPlace: stay)
  case 1: parseAndCheck(CsvlogParser(file: "fuzz"), log)
  case 2: parseAndCheck(JsonlogParser(file: "fuzz"), log)
  case 3: parseAndCheck(SyslogParser(prefix: prefix, file: "fuzz", now: LogTime(epochMs: 1_764_000_000_000)), log)
  default: parseAndCheck(PgBouncerParser(file: "fuzz"), log)
  }
  return 0
}

@_cdecl("FuzzLogParser_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  runFuzzer(argc: argc, argv: argv, fuzz)
}
