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

  /// A run of whole lines, as `nextBlock` hands them out.
  public struct Block {
    /// The lines, each with its `\n` (a `\r` before it is kept: readers of a block strip it, as `nextLine` does).
    public var bytes: UnsafeBufferPointer<UInt8>
    public var lines: Int
    /// False for a piece without its newline: the last line of the input, or a piece of an overlong line;
    /// `lastLineUnterminated` tells which.
    public var terminated: Bool
  }

  /// Every complete line now buffered, as one view valid until the next call; reads more first when there is
  /// none. Counts lines and bytes as `nextLine` does, and gives the same lines: a line longer than the limit
  /// comes in pieces, and a last line without a newline comes alone, unterminated. Nil at the end.
  public func nextBlock() throws(ByteSourceError) -> Block? {
    while true {
      if start < end {
        let base = storage.baseAddress! + start
        let buffered = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: end - start)
        if let last = Self.lastNewline(in: buffered, before: buffered.count) {
          let length = last + 1
          let bytes = UnsafeBufferPointer(rebasing: buffered[..<length])
          let lines = Self.countNewlines(bytes)
          start += length
          bytesRead += length
          lineNumber += lines
          return Block(bytes: bytes, lines: lines, terminated: true)
        }
        if end - start >= maxLineBytes || atEnd {
          let length = end - start
          if end - start >= maxLineBytes { overlongLines += 1 } else { lastLineUnterminated = true }
          start = end
          bytesRead += length
          return Block(bytes: line(at: base, length: length), lines: 1, terminated: false)
        }
      }
      if atEnd { return nil }
      try refill()
    }
  }

  /// The offset of the last `\n` before `limit`, searching back (lines are short, so it is near).
  public static func lastNewline(in bytes: UnsafeBufferPointer<UInt8>, before limit: Int) -> Int? {
    var i = limit - 1
    while i >= 0 {
      if bytes[i] == 0x0A { return i }
      i -= 1
    }
    return nil
  }

  /// Newlines in `bytes`: compared 16 bytes at a time as vectors, each lane counting its hits in a byte for up
  /// to 255 of them before the lanes are added up (0.31 instructions a byte of a shop log; a memchr from one
  /// line end to the next took about 0.5, callgrind).
  public static func countNewlines(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
    guard let base = bytes.baseAddress else { return 0 }
    let raw = UnsafeRawPointer(base)
    let n = bytes.count
    let newline = SIMD16<UInt8>(repeating: 0x0A)
    // 0xFF in each lane that holds a newline: subtracted, it adds one.
    @inline(__always) func hits(_ offset: Int) -> SIMD16<UInt8> {
      unsafeBitCast(
        raw.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self) .== newline, to: SIMD16<UInt8>.self)
    }
    @inline(__always) func total(_ lanes: SIMD16<UInt8>) -> Int {
      let (a, b) = unsafeBitCast(lanes, to: (UInt64, UInt64).self)
      let low: UInt64 = 0x00FF_00FF_00FF_00FF
      let pairs = (a & low) &+ ((a >> 8) & low) &+ (b & low) &+ ((b >> 8) & low)
      return Int(truncatingIfNeeded: (pairs &* 0x0001_0001_0001_0001) >> 48)
    }
    var count = 0
    var i = 0
    while i + 16 <= n {
      var lanes = SIMD16<UInt8>()
      var added = 0
      while added <= 251 && i + 64 <= n {
        lanes &-= hits(i) &+ hits(i + 16) &+ hits(i + 32) &+ hits(i + 48)
        i += 64
        added += 4
      }
      while added <= 254 && i + 16 <= n && i + 64 > n {
        lanes &-= hits(i)
        i += 16
        added += 1
      }
      count += total(lanes)
    }
    while i < n {
      if base[i] == 0x0A { count += 1 }
      i += 1
    }
    return count
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
