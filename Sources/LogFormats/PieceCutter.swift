// Cuts a file's text into pieces that parse on their own: runs of whole lines, each line followed by `\n`, cut
// only before a line that may start a record (RecordBoundaries) once a piece has its size. Each line is handed
// out once, in one piece; the parser of a piece reads its lines where they lie. A record longer than the record
// limit (a line of gigabytes, split by the line reader) keeps only the line ends of its lines past the limit,
// so that memory stays bounded; what was left out is told by `leftOut`.
import LogInput

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
  public private(set) var leftOut = LeftOut()

  /// `pieceBytes`: the size from which a piece is cut at the next line that may start one.
  public init(_ format: DetectedFormat, pieceBytes: Int) {
    self.pieceBytes = max(1, pieceBytes)
    reserve = min(self.pieceBytes, 8 << 20) + (64 << 10)
    boundaries = RecordBoundaries(format)
    piece.bytes.reserveCapacity(reserve)
  }

  /// Whether the lines added so far end a record (so that a later run could resume after them).
  public var atBoundary: Bool { boundaries.atBoundary }

  /// Ends the current piece and starts the next at line `firstLine`; returns the piece ended.
  private mutating func startNext(at firstLine: Int) -> Piece {
    let done = piece
    piece = Piece(firstLine: firstLine, index: done.index + 1)
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
  /// last of them numbered `lastLine`: copied whole, then cut before the last line in it that may start a piece.
  /// Returns the piece completed, if any.
  public mutating func add(_ block: LineReader.Block, lastLine: Int) -> Piece? {
    let from = piece.bytes.count
    if piece.bytes.isEmpty { piece.firstLine = lastLine - block.lines + 1 }
    piece.bytes.append(contentsOf: block.bytes)
    if !block.terminated {
      // A piece as `nextLine` gives it, its `\r` taken off already: end it as `add(line:number:)` does.
      if block.bytes.last == 0x0D { piece.bytes.append(0x0D) }
      piece.bytes.append(0x0A)
    }
    lines += block.lines
    guard piece.bytes.count >= pieceBytes else { return nil }
    guard let cut = piece.bytes.withUnsafeBufferPointer({ lastPieceStart(in: $0, notBefore: max(from, 1)) }) else {
      // No record starts in this block: it continues the last one. Past the limit only its line ends are kept.
      if piece.bytes.count - pieceBytes > Self.recordLimit {
        let ends = piece.bytes.withUnsafeBufferPointer {
          LineReader.countNewlines(UnsafeBufferPointer(rebasing: $0[from...]))
        }
        if leftOut.lines == 0 { leftOut.firstLine = lastLine - block.lines + 1 }
        leftOut.lines += ends
        leftOut.bytes += piece.bytes.count - from - ends
        piece.bytes.removeSubrange(from...)
        piece.bytes.append(contentsOf: repeatElement(0x0A, count: ends))
      }
      return nil
    }
    let tail = Array(piece.bytes[cut...])
    piece.bytes.removeSubrange(cut...)
    let tailLines = tail.withUnsafeBufferPointer { LineReader.countNewlines($0) }
    let done = startNext(at: piece.firstLine + lines - tailLines)
    piece.bytes.append(contentsOf: tail)
    lines = tailLines
    return done
  }

  /// The last piece, whatever it holds.
  public mutating func finish() -> Piece {
    var last = piece
    last.isLast = true
    piece = Piece(index: last.index + 1)
    lines = 0
    return last
  }

  /// The start of the last line at or after `notBefore` that may start a piece.
  private func lastPieceStart(in bytes: UnsafeBufferPointer<UInt8>, notBefore: Int) -> Int? {
    var lineEnd = bytes.count - 1
    while lineEnd > notBefore {
      let lineStart = LineReader.lastNewline(in: bytes, before: lineEnd).map { $0 + 1 } ?? 0
      guard lineStart >= notBefore else { return nil }
      var length = lineEnd - lineStart
      if length > 0 && bytes[lineEnd - 1] == 0x0D { length -= 1 }
      if boundaries.mayStart(at: bytes.slice(lineStart, lineStart + length)) { return lineStart }
      lineEnd = lineStart - 1
    }
    return nil
  }
}
