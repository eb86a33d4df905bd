// Small byte-level helpers shared by the format parsers. The hot path never builds a String per line.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

public typealias ByteView = UnsafeBufferPointer<UInt8>

extension UnsafeBufferPointer where Element == UInt8 {
  /// The bytes from `lower` to `upper`, as a view.
  @inlinable
  public func slice(_ lower: Int, _ upper: Int) -> ByteView {
    ByteView(rebasing: self[lower..<upper])
  }

  @inlinable
  public func slice(from lower: Int) -> ByteView {
    ByteView(rebasing: self[lower..<count])
  }

  /// Whether the bytes at `offset` equal `literal`.
  @inlinable @inline(__always)
  public func matches(_ literal: StaticString, at offset: Int) -> Bool {
    let n = literal.utf8CodeUnitCount
    guard offset >= 0, offset + n <= count else { return false }
    // Most literals are short: a call to memcmp costs more than comparing them here (callgrind). From four
    // bytes on, two words that overlap cover the literal, read unaligned from both sides; a literal known when
    // this is inlined leaves only the loads and compares.
    let a = UnsafeRawPointer(baseAddress! + offset)
    let b = UnsafeRawPointer(literal.utf8Start)
    switch n {
    case 0: return true
    case 1..<4:
      for k in 0..<n where a.load(fromByteOffset: k, as: UInt8.self) != b.load(fromByteOffset: k, as: UInt8.self) {
        return false
      }
      return true
    case 4..<8:
      return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
        && a.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
          == b.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
    case 8...16:
      return a.loadUnaligned(as: UInt64.self) == b.loadUnaligned(as: UInt64.self)
        && a.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
          == b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    default:
      return memcmp(a, b, n) == 0
    }
  }

  /// Whether `other` holds the same bytes, compared with memcmp.
  @inlinable
  public func hasSameBytes(as other: ByteView) -> Bool {
    count == other.count && (isEmpty || memcmp(baseAddress!, other.baseAddress!, count) == 0)
  }

  @inlinable
  public func matches(_ literal: [UInt8], at offset: Int) -> Bool {
    let n = literal.count
    guard offset >= 0, offset + n <= count else { return false }
    if n == 0 { return true }
    return literal.withUnsafeBufferPointer { memcmp(baseAddress! + offset, $0.baseAddress!, n) == 0 }
  }

  /// First offset at or after `from` where `byte` occurs.
  @inlinable
  public func firstIndex(of byte: UInt8, from: Int) -> Int? {
    guard from < count else { return nil }
    guard let found = memchr(baseAddress! + from, Int32(byte), count - from) else { return nil }
    return UnsafeRawPointer(baseAddress!).distance(to: UnsafeRawPointer(found))
  }

  /// First offset at or after `from` where `literal` occurs.
  @inlinable
  public func firstIndex(of literal: [UInt8], from: Int) -> Int? {
    guard let first = literal.first else { return from }
    var position = from
    while let candidate = firstIndex(of: first, from: position) {
      if matches(literal, at: candidate) { return candidate }
      position = candidate + 1
    }
    return nil
  }

  @inlinable
  public func firstIndex(of literal: StaticString, from: Int) -> Int? {
    let first = literal.utf8Start.pointee
    var position = from
    while let candidate = firstIndex(of: first, from: position) {
      if matches(literal, at: candidate) { return candidate }
      position = candidate + 1
    }
    return nil
  }

  /// Decodes the bytes as UTF-8, replacing invalid sequences.
  @inlinable
  public var string: String { String(decoding: self, as: UTF8.self) }

  /// Whether every byte is ASCII and none is NUL, the common case a line is checked for first; eight bytes at a
  /// time: a word with no high bit set has a zero byte exactly when subtracting 1 from each byte borrows.
  @inlinable
  public var isPlainText: Bool {
    guard let base = baseAddress else { return true }
    let raw = UnsafeRawPointer(base)
    // A byte is 0x00 or from 0x80 on where its top bit is set in it or in it less one. Read as vectors of 16
    // bytes, 64 at a time, then the rest 16 at a time, the last 16 bytes of the line read again in place of a
    // loop over its tail (a shop log line: 94 instructions, 170 with words and a byte loop, callgrind); a line
    // shorter than 16 bytes as two words that may overlap, or byte by byte.
    @inline(__always) func flags(_ offset: Int) -> UInt64 {
      let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
      return word | (word &- 0x0101_0101_0101_0101)
    }
    @inline(__always) func vectorFlags(_ offset: Int) -> SIMD16<UInt8> {
      let vector = raw.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self)
      return vector | (vector &- 1)
    }
    // The vector's two words tested: `flags & 0x80 != .zero` compiled to a dozen shuffles (objdump).
    @inline(__always) func plain(_ flags: SIMD16<UInt8>) -> Bool {
      let halves = unsafeBitCast(flags, to: (UInt64, UInt64).self)
      return (halves.0 | halves.1) & 0x8080_8080_8080_8080 == 0
    }
    guard count >= 16 else {
      if count >= 8 { return (flags(0) | flags(count - 8)) & 0x8080_8080_8080_8080 == 0 }
      for i in 0..<count where base[i] &- 1 >= 0x7F { return false }
      return true
    }
    var i = 0
    while i + 64 <= count {
      guard plain(vectorFlags(i) | vectorFlags(i + 16) | vectorFlags(i + 32) | vectorFlags(i + 48)) else {
        return false
      }
      i += 64
    }
    var rest = vectorFlags(count - 16)
    while i + 16 <= count {
      rest |= vectorFlags(i)
      i += 16
    }
    return plain(rest)
  }

  /// Whether every byte is ASCII; checked eight bytes at a time.
  @inlinable
  public var isASCII: Bool {
    guard let base = baseAddress else { return true }
    let raw = UnsafeRawPointer(base)
    var i = 0
    while i + 8 <= count {
      if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
      i += 8
    }
    while i < count {
      if base[i] >= 0x80 { return false }
      i += 1
    }
    return true
  }

  /// Whether the bytes are valid UTF-8 (fast when they are ASCII).
  public var isValidUTF8: Bool {
    if isASCII { return true }
    var i = 0
    while i < count {
      let b = self[i]
      if b < 0x80 {
        i += 1
        continue
      }
      let length: Int
      let minimum: UInt32
      var scalar: UInt32
      switch b {
      case 0xC2...0xDF: (length, minimum, scalar) = (2, 0x80, UInt32(b & 0x1F))
      case 0xE0...0xEF: (length, minimum, scalar) = (3, 0x800, UInt32(b & 0x0F))
      case 0xF0...0xF4: (length, minimum, scalar) = (4, 0x10000, UInt32(b & 0x07))
      default: return false
      }
      guard i + length <= count else { return false }
      for k in 1..<length {
        let c = self[i + k]
        guard c & 0xC0 == 0x80 else { return false }
        scalar = scalar << 6 | UInt32(c & 0x3F)
      }
      if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return false }
      i += length
    }
    return true
  }

  /// Parses an unsigned decimal integer at `offset`; returns the value and the offset after it.
  @inlinable @inline(__always)
  public func parseDigits(at offset: Int) -> (value: Int, end: Int)? {
    // At most 18 digits, so the value cannot overflow: the bound taken once, not tested with each digit.
    let limit = Swift.min(count, offset + 18)
    var i = offset
    var value = 0
    while i < limit {
      let digit = self[i] &- 0x30
      guard digit < 10 else { break }
      value = value &* 10 &+ Int(digit)
      i += 1
    }
    return i > offset ? (value, i) : nil
  }

  /// Parses a decimal number such as `12.345` at `offset`, as thousandths (microseconds when it is milliseconds).
  @inlinable
  public func parseThousandths(at offset: Int) -> (value: Int64, end: Int)? {
    // A number too large to hold in thousandths is no duration or time a server writes (found by fuzzing).
    guard let (whole, afterWhole) = parseDigits(at: offset), whole < Int(Int64.max / 1000) else { return nil }
    var value = Int64(whole) * 1000
    var i = afterWhole
    if i < count && self[i] == UInt8(ascii: ".") {
      i += 1
      var scale: Int64 = 100
      var rounding = false
      while i < count, self[i] &- 0x30 < 10 {
        let digit = Int64(self[i] &- 0x30)
        if scale > 0 {
          value += digit * scale
          scale /= 10
        } else if !rounding {
          rounding = true
          if digit >= 5 { value += 1 }
        }
        i += 1
      }
    }
    return (value, i)
  }
}

extension Array where Element == UInt8 {
  @inlinable
  public init(_ literal: StaticString) {
    self = Array(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
  }
}

/// ASCII lower-casing of one byte.
@inlinable
public func asciiLower(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }
