// Splits a byte source into lines, reading large chunks into one reusable buffer. Lines are handed out as
// views into that buffer, valid until the next call: nothing is copied or decoded on the way.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

public final class LineReader {
  /// Longest line kept whole; a longer one is handed out in pieces of this size (each counted in `overlongLines`).
  public static let defaultMaxLineBytes = 64 << 20

  private let source: any ByteSource
  private var storage: UnsafeMutableRawBufferPointer
  private var start = 0
  private var end = 0
  private var atEnd = false
  private let maxLineBytes: Int

  /// Number of the line last returned (1-based).
  public private(set) var lineNumber = 0
  /// Bytes of text handed out so far, newlines included.
  public private(set) var bytesRead = 0
  /// Lines longer than the limit, which were split.
  public private(set) var overlongLines = 0
  /// Whether the line last returned ended the input without a newline (a line perhaps still being written).
  public private(set) var lastLineUnterminated = false

  /// `startingLine` and `startingOffset` say where in the text the source starts, when resuming.
  public init(
    source: any ByteSource, chunkSize: Int = 1 << 20, maxLineBytes: Int = LineReader.defaultMaxLineBytes,
    startingLine: Int = 0, startingOffset: Int = 0
  ) {
    self.source = source
    lineNumber = startingLine
    bytesRead = startingOffset
    self.maxLineBytes = max(maxLineBytes, chunkSize)
    storage = .allocate(byteCount: chunkSize, alignment: 64)
  }

  deinit { storage.deallocate() }

  /// The next line without its line ending (`\n` or `\r\n`), or nil at the end of the input.
  /// A read error is thrown after every complete line before it has been returned.
  public func nextLine() throws(ByteSourceError) -> UnsafeBufferPointer<UInt8>? {
    while true {
      if start < end {
        let base = storage.baseAddress! + start
        if let newline = memchr(base, 0x0A, end - start) {
          let length = base.distance(to: newline)
          start += length + 1
          bytesRead += length + 1
          return line(at: base, length: length)
        }
        if end - start >= maxLineBytes {
          let length = end - start
          overlongLines += 1
          start = end
          bytesRead += length
          return line(at: base, length: length)
        }
      }
      if atEnd {
        guard start < end else { return nil }
        let base = storage.baseAddress! + start
        let length = end - start
        start = end
        bytesRead += length
        lastLineUnterminated = true
        return line(at: base, length: length)
      }
      try refill()
    }
  }

  private func line(at base: UnsafeMutableRawPointer, length: Int) -> UnsafeBufferPointer<UInt8> {
    lineNumber += 1
    var count = length
    if count > 0 && base.load(fromByteOffset: count - 1, as: UInt8.self) == 0x0D { count -= 1 }
    return UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: count)
  }

  private func refill() throws(ByteSourceError) {
    if start > 0 {
      if end > start { memmove(storage.baseAddress!, storage.baseAddress! + start, end - start) }
      end -= start
      start = 0
    }
    if end == storage.count {
      let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: storage.count * 2, alignment: 64)
      bigger.baseAddress!.copyMemory(from: storage.baseAddress!, byteCount: end)
      storage.deallocate()
      storage = bigger
    }
    let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: storage[end...]))
    if n == 0 { atEnd = true } else { end += n }
  }
}
