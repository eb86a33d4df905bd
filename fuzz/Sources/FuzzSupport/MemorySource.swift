// What every fuzz target needs: the fuzzer's bytes as a byte source, and as lines; a log parser driven over
// them as `pgsift analyze` drives it, with its counts checked.
import Fingerprint
import LogFormats
import LogInput
import ServerEvents
import Statistics

/// Serves bytes held in memory, in reads of at most `readSize` bytes, so that refills happen as they do on files.
public final class MemorySource: ByteSource {
  private let bytes: UnsafeBufferPointer<UInt8>
  private let readSize: Int
  public private(set) var bytesConsumed = 0

  /// `bytes` must outlive the source.
  public init(_ bytes: UnsafeBufferPointer<UInt8>, readSize: Int = 4096) {
    self.bytes = bytes
    self.readSize = readSize
  }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ByteSourceError) -> Int {
    let count = min(buffer.count, readSize, bytes.count - bytesConsumed)
    guard count > 0, let base = bytes.baseAddress else { return 0 }
    buffer.baseAddress!.copyMemory(from: base + bytesConsumed, byteCount: count)
    bytesConsumed += count
    return count
  }
}

/// Reads `bytes` as lines through `LineReader`, the reader pgsift uses on files, with small buffers so that
/// the fuzzer reaches line splitting and refills. Returns the number of lines given to `body`.
@discardableResult
public func forEachLine(
  in bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>, Int) -> Void
) -> Int {
  let reader = LineReader(source: MemorySource(bytes), chunkSize: 4096, maxLineBytes: 16384)
  var count = 0
  // A memory source never fails.
  while let line = try! reader.nextLine() {
    count += 1
    precondition(reader.lineNumber == count, "line numbers skip")
    body(line, reader.lineNumber)
  }
  precondition(reader.bytesRead == bytes.count, "the reader lost bytes")
  return count
}

/// Splits `bytes` into lines in place, as pgsift splits the chunks it hands its parsers: the views stay valid as
/// long as `bytes` does (what `StderrParser(linesStay: true)` needs). Returns the number of lines given to `body`.
@discardableResult
public func forEachLineInPlace(
  in bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>, Int) -> Void
) -> Int {
  var start = 0
  var count = 0
  while start < bytes.count {
    var end = start
    while end < bytes.count, bytes[end] != 0x0A { end += 1 }
    // A `\r` before the newline is not part of the line.
    let textEnd = end > start && end < bytes.count && bytes[end - 1] == 0x0D ? end - 1 : end
    count += 1
    body(UnsafeBufferPointer(rebasing: bytes[start..<textEnd]), count)
    start = end + 1
  }
  return count
}

/// Feeds `log`'s lines to `parser`, its entries to the event classifier and the statement aggregate, and checks
/// the parser's counts: every line counted once, no more skipped than read. `inPlace` splits the lines in place
/// (for parsers that keep views of them); `seen` is shown each line first.
public func parseAndCheck<P: LogParser>(
  _ parser: P, _ log: UnsafeBufferPointer<UInt8>, inPlace: Bool = false,
  seen: (UnsafeBufferPointer<UInt8>) -> Void = { _ in }
) {
  var parser = parser
  var sink = EventClassifier(
    downstream: Fingerprinting(
      downstream: StatementAggregator(thresholdUs: 30_000, intervalMs: 60_000), fingerprinter: Fingerprinter()))
  func feed(_ line: UnsafeBufferPointer<UInt8>, _ number: Int) {
    seen(line)
    parser.feed(line, lineNumber: number, into: &sink)
  }
  let lines = inPlace ? forEachLineInPlace(in: log, feed) : forEachLine(in: log, feed)
  parser.finish(into: &sink)
  sink.finish()
  sink.downstream.downstream.normalizeTexts()
  let counts = parser.counts
  precondition(counts.lines == lines, "the parser counted \(counts.lines) of \(lines) lines")
  precondition(counts.skippedLines + counts.blankLines <= counts.lines, "more lines skipped than read")
  precondition(counts.invalidUTF8Lines <= counts.lines, "more invalid lines than lines")
}

/// Cuts `log` into pieces with pgsift's own cutter, as `analyze` does (line by line for csvlog, in blocks for the
/// others), at a piece size of `pieceBytes`, and checks what a parse of the pieces relies on: every line is in
/// exactly one piece, in order and numbered on from the piece before, each piece ends with a line end, and a
/// piece after the first starts with a line that may start a record.
public func cutAndCheck(_ format: DetectedFormat, _ log: UnsafeBufferPointer<UInt8>, pieceBytes: Int) {
  let reader = LineReader(source: MemorySource(log), chunkSize: 4096, maxLineBytes: 16384)
  var cutter = PieceCutter(format, pieceBytes: pieceBytes)
  var pieces: [PieceCutter.Piece] = []
  if case .csvlog = format {
    while let line = try! reader.nextLine() {
      if let piece = cutter.add(line: line, number: reader.lineNumber) { pieces.append(piece) }
    }
  } else {
    while let block = try! reader.nextBlock() {
      cutter.add(block, lastLine: reader.lineNumber) { pieces.append($0) }
    }
  }
  pieces.append(cutter.finish())
  var csv = false
  if case .csvlog = format { csv = true }
  var next = pieces.first?.bytes.isEmpty == false ? pieces[0].firstLine : 1
  for (index, piece) in pieces.enumerated() {
    precondition(piece.index == index, "piece \(index) is numbered \(piece.index)")
    precondition(piece.isLast == (index == pieces.count - 1), "isLast on piece \(index) of \(pieces.count)")
    guard !piece.bytes.isEmpty else {
      precondition(index == pieces.count - 1, "an empty piece before the last")
      continue
    }
    precondition(piece.bytes.last == 0x0A, "piece \(index) does not end with a line end")
    precondition(piece.firstLine == next, "piece \(index) starts at line \(piece.firstLine), not \(next)")
    next += piece.bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    if index > 0 && !csv {
      piece.bytes.withUnsafeBufferPointer { bytes in
        let end = bytes.firstIndex(of: 0x0A)!
        let text = end > 0 && bytes[end - 1] == 0x0D ? end - 1 : end
        precondition(
          RecordBoundaries(format).mayStart(at: UnsafeBufferPointer(rebasing: bytes[..<text])),
          "piece \(index) starts with a line that cannot start a record")
      }
    }
  }
  precondition(next - 1 == reader.lineNumber, "the pieces hold \(next - 1) of \(reader.lineNumber) lines")
}

/// libFuzzer's driver, for programs that bring their own `main`.
@_silgen_name("LLVMFuzzerRunDriver")
private func llvmFuzzerRunDriver(
  _ argc: UnsafeMutablePointer<CInt>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The body of each target's entry point. SwiftPM links an executable target's `main` to a function named
/// `<target>_main`; each target defines that function and hands the process to libFuzzer from it.
public func runFuzzer(
  argc: CInt, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
  _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt {
  var count = argc
  var vector = Optional(argv)
  return llvmFuzzerRunDriver(&count, &vector, test)
}
