// Unit tests of cutting a file into pieces: every line once and in order, each piece cut at the first line past
// its size that may start a record, and the buffers of parsed pieces filled again rather than allocated.
import Foundation
import LogFormats
import LogInput
import Testing

@Suite("Piece cutting")
struct PieceCutterTests {
  /// A real stderr log with statements over several lines, and its prefix.
  static func blog() throws -> (text: [UInt8], prefix: LinePrefix) {
    let input = try InputFile(path: Paths.fixtures.appendingPathComponent("blog/postgresql.log.gz").path)
    let reader = LineReader(source: input.source)
    var lines: [[UInt8]] = []
    while let line = try reader.nextLine() { lines.append(Array(line)) }
    let format = try FormatDetector.detect(Array(lines.prefix(FormatDetector.sampleLines)))
    let prefix = try #require({ if case .stderr(let p) = format { p } else { nil } }())
    return (Array(lines.joined(separator: [0x0A])) + [0x0A], prefix)
  }

  @Test(
    "blocks are cut at the first record start past the size; every line lands once, in order",
    arguments: [1, 3000, 65_536])
  func cutsInBlocks(pieceBytes: Int) throws {
    let (text, prefix) = try Self.blog()
    let spares = PieceSpares(limit: 2)
    var cutter = PieceCutter(.stderr(prefix), pieceBytes: pieceBytes, spares: spares)
    // Blocks of about 64 KiB: many pieces come from one block at the smaller sizes.
    let reader = LineReader(source: ArraySource(text, chunk: 1 << 16), chunkSize: 1 << 16)
    var read: [UInt8] = []
    var pieces = 0
    var line = 1
    var buffers: Set<UnsafeRawPointer> = []
    func check(_ piece: PieceCutter.Piece) {
      #expect(piece.index == pieces && piece.firstLine == line, "piece \(pieces) starts at line \(piece.firstLine)")
      read += piece.bytes
      piece.bytes.withUnsafeBufferPointer { view in
        if let base = view.baseAddress { buffers.insert(UnsafeRawPointer(base)) }
        var start = 0
        while start < view.count {
          let end = view.firstIndex(of: 0x0A, from: start)!
          let text = view.slice(start, end)
          let record = text.first != 0x09 && prefix.match(text) != nil
          // Each piece starts a record, and none starts in it past its size: it was cut at the first.
          if start == 0 && pieces > 0 { #expect(record, "piece \(pieces) starts inside a record") }
          if start >= max(pieceBytes, 1) && !piece.isLast {
            #expect(!record, "piece \(pieces): a record starts at \(start), past \(pieceBytes) bytes")
          }
          line += 1
          start = end + 1
        }
      }
      if !piece.isLast { #expect(piece.bytes.count >= pieceBytes, "piece \(pieces): \(piece.bytes.count) bytes") }
      pieces += 1
    }
    while let block = try reader.nextBlock() {
      cutter.add(block, lastLine: reader.lineNumber) { (piece: consuming PieceCutter.Piece) in
        check(piece)
        // As a worker does once the piece is parsed: the piece was handed over, so its buffer is not shared.
        spares.give(&piece.bytes)
        #expect(piece.bytes.isEmpty && spares.count <= 2)
      }
    }
    check(cutter.finish())
    #expect(pieces > 3, "\(pieces) pieces at \(pieceBytes) bytes")
    #expect(read == text)
    #expect(line - 1 == text.count(where: { $0 == 0x0A }))
    // The buffers were filled again, not copied: one filled while the other waited, not one for each piece.
    #expect(buffers.count <= 2, "\(buffers.count) buffers for \(pieces) pieces")
  }

  @Test("spares keep at most their limit, hand out the capacity they were given, and take no empty buffer")
  func spares() {
    let spares = PieceSpares(limit: 2)
    var empty: [UInt8] = []
    spares.give(&empty)
    #expect(spares.count == 0)
    for _ in 0..<3 {
      var bytes = [UInt8](repeating: 7, count: 1000)
      spares.give(&bytes)
      #expect(bytes.isEmpty && bytes.capacity == 0)
    }
    #expect(spares.count == 2)
    // A cutter takes one for its first piece, with the capacity it had and nothing in it.
    var cutter = PieceCutter(.jsonlog, pieceBytes: 100, spares: spares)
    #expect(spares.count == 1)
    let piece = cutter.finish()
    #expect(piece.bytes.isEmpty && piece.bytes.capacity >= 1000)
  }
}
