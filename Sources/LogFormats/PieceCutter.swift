// Cuts a file's text into pieces that parse on their own: runs of whole lines, each line followed by `\n`, cut
// only before a line that may start a record (RecordBoundaries) once a piece has its size. Each line is handed
// out once, in one piece; the parser of a piece reads its lines where they lie. A record longer than the record
// limit (a line of gigabytes, split by the line reader) keeps only the line ends of its lines past the limit,
// so that memory stays bounded; what was left out is told by `leftOut`. A piece's buffer, once parsed, may come
// back through `PieceSpares` to be filled again.
import LogInput
import Synchronization

public struct PieceCutter {
  /// A run of whole lines of one file, each followed by `\n`, that starts at a record boundary.
  public struct Piece: Sendable {
    public var bytes: [UInt8] = []
    /// Number of the first line (1-based).
    public var firstLine = 0
    /// Place in its file: 0 is the piece that starts where reading started.
    public var index = 0
    public var isLast = false

    public init(bytes: [UInt8] = [], firstLine: Int = 0, index: Int = 0, isLast: Bool = false) {
      self.bytes = bytes
      self.firstLine = firstLine
      self.index = index
      self.isLast = isLast
    }
  }

  /// The lines of records longer than the limit that were left out past it: the first such line, how many,
  /// and their bytes.
  public struct LeftOut: Sendable, Equatable {
    public var firstLine = 0
    public var lines = 0
    public var bytes = 0
  }

  /// Bytes of one record kept past a full piece before its further lines are left out.
  public static let recordLimit = LineReader.defaultMaxLineBytes

  private let pieceBytes: Int
  private let reserve: Int
  private var piece = Piece()
  private var lines = 0
  private var boundaries: RecordBoundaries
  private let spares: PieceSpares?
  public private(set) var leftOut = LeftOut()

  /// `pieceBytes`: the size from which a piece is cut at the next line that may start one. `spares`: buffers of
  /// parsed pieces, taken before a new one is allocated.
  public init(_ format: DetectedFormat, pieceBytes: Int, spares: PieceSpares? = nil) {
    self.pieceBytes = max(1, pieceBytes)
    reserve = min(self.pieceBytes, 8 << 20) + (64 << 10)
    boundaries = RecordBoundaries(format)
    self.spares = spares
    piece.bytes = spares?.take() ?? []
    piece.bytes.reserveCapacity(reserve)
  }

  /// Whether the lines added so far end a record (so that a later run could resume after them).
  public var atBoundary: Bool { boundaries.atBoundary }

  /// Ends the current piece and starts the next at line `firstLine`; returns the piece ended.
  private mutating func startNext(at firstLine: Int) -> Piece {
    let done = piece
    piece = Piece(bytes: spares?.take() ?? [], firstLine: firstLine, index: done.index + 1)
    piece.bytes.reserveCapacity(reserve)
    lines = 0
    return done
  }

  /// Adds one line (without its `\n`; a `\r` the reader left stays), numbered `number`; returns the piece it
  /// completed, if it started a new one. For the sample, and for csvlog, whose records may span lines inside
  /// quotes.
  public mutating func add(line: ByteView, number: Int) -> Piece? {
    var done: Piece?
    if piece.bytes.count >= pieceBytes && boundaries.mayStart(at: line) { done = startNext(at: number) }
    if piece.bytes.isEmpty { piece.firstLine = number }
    piece.bytes.append(contentsOf: line)
    // The reader took one `\r` off already; the parse takes one off again, so give it one to take.
    if line.last == 0x0D { piece.bytes.append(0x0D) }
    piece.bytes.append(0x0A)
    lines += 1
    boundaries.observe(line)
    return done
  }

  /// Adds a block of whole lines at once (stderr and jsonlog, where every line end is a record boundary), the
  /// last of them numbered `lastLine`. Each piece is cut at the first line in the block that may start one once
  /// the piece has its size, and handed to `emit`; a block longer than a piece gives several. Only the lines
  /// that go into a piece are copied, once, into a buffer reserved for the piece's size.
  public mutating func add(_ block: LineReader.Block, lastLine: Int, emit: (consuming Piece) -> Void) {
    var rest = block.bytes
    var restLines = block.lines
    while true {
      if piece.bytes.isEmpty { piece.firstLine = lastLine - restLines + 1 }
      // A piece is never cut empty: at the block's start only when it holds lines already.
      let from = max(pieceBytes - piece.bytes.count, piece.bytes.isEmpty ? 1 : 0)
      guard let cut = firstPieceStart(in: rest, notBefore: from, terminated: block.terminated) else { break }
      let head = UnsafeBufferPointer(rebasing: rest[..<cut])
      let tail = UnsafeBufferPointer(rebasing: rest[cut...])
      // Whichever side is shorter is counted.
      let headLines =
        cut <= rest.count / 2 ? LineReader.countNewlines(head) : restLines - LineReader.countNewlines(tail)
      piece.bytes.append(contentsOf: head)
      lines += headLines
      emit(startNext(at: piece.firstLine + lines))
      rest = tail
      restLines -= headLines
    }
    let from = piece.bytes.count
    piece.bytes.append(contentsOf: rest)
    if !block.terminated {
      // A piece as `nextLine` gives it, its `\r` taken off already: end it as `add(line:number:)` does.
      if rest.last == 0x0D { piece.bytes.append(0x0D) }
      piece.bytes.append(0x0A)
    }
    lines += restLines
    // No record starts in what is left of the block: it continues the last one. Past the limit only its line
    // ends are kept.
    guard piece.bytes.count - pieceBytes > Self.recordLimit, from < piece.bytes.count else { return }
    let ends = piece.bytes.withUnsafeBufferPointer {
      LineReader.countNewlines(UnsafeBufferPointer(rebasing: $0[from...]))
    }
    if leftOut.lines == 0 { leftOut.firstLine = lastLine - restLines + 1 }
    leftOut.lines += ends
    leftOut.bytes += piece.bytes.count - from - ends
    piece.bytes.removeSubrange(from...)
    piece.bytes.append(contentsOf: repeatElement(0x0A, count: ends))
  }

  /// The last piece, whatever it holds.
  public mutating func finish() -> Piece {
    var last = piece
    last.isLast = true
    piece = Piece(index: last.index + 1)
    lines = 0
    return last
  }

  /// The start of the first line in `bytes` at or after `notBefore` that may start a piece; never at the end of
  /// `bytes`, where the next block starts and is looked at with it. An unterminated block is one line.
  private func firstPieceStart(in bytes: UnsafeBufferPointer<UInt8>, notBefore: Int, terminated: Bool) -> Int? {
    guard notBefore < bytes.count else { return nil }
    var lineStart = 0
    if notBefore > 0 {
      guard terminated, let newline = bytes.firstIndex(of: 0x0A, from: notBefore - 1) else { return nil }
      lineStart = newline + 1
    }
    while lineStart < bytes.count {
      let lineEnd = terminated ? bytes.firstIndex(of: 0x0A, from: lineStart) ?? bytes.count : bytes.count
      var length = lineEnd - lineStart
      if length > 0 && bytes[lineEnd - 1] == 0x0D { length -= 1 }
      if boundaries.mayStart(at: bytes.slice(lineStart, lineStart + length)) { return lineStart }
      lineStart = lineEnd + 1
    }
    return nil
  }
}

/// Buffers of parsed pieces, handed back from the threads that parsed them for the cutter to fill again. A new
/// piece's megabyte is memory the allocator maps afresh and the kernel faults in and zeroes page by page (a
/// quarter of a million page faults on an 800 MB log; 14% of a 100 MB run's time was in the kernel); a buffer
/// filled before is not. A buffer comes back only after it was allocated for a piece, so the spares never hold
/// more than the pieces once in flight at the same time; `limit` bounds them besides.
public final class PieceSpares: Sendable {
  private let spares = Mutex<[[UInt8]]>([])
  private let limit: Int

  public init(limit: Int) { self.limit = max(0, limit) }

  /// Takes `bytes` to be filled again, leaving `bytes` empty. The caller should hold the only reference to
  /// them: a buffer still shared is not emptied in place but replaced by a new one, correct but no saving.
  public func give(_ bytes: inout [UInt8]) {
    guard bytes.capacity > 0 else { return }
    bytes.removeAll(keepingCapacity: true)
    spares.withLock { spares in
      guard spares.count < limit else { return }
      // Swapped in, so that no reference stays behind on this thread once the lock is released.
      spares.append([])
      swap(&spares[spares.count - 1], &bytes)
    }
    bytes = []
  }

  /// An empty buffer with the capacity it had, or nil when none is spare.
  func take() -> [UInt8]? {
    spares.withLock { $0.popLast() }
  }

  /// The buffers waiting to be filled again.
  public var count: Int { spares.withLock { $0.count } }
}
