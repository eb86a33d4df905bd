// The compression formats logs are rotated into, each through Debian's library: gzip (ISA-L, or zlib where it is
// absent), bzip2 (libbz2), xz (liblzma) and zstd (libzstd). Told apart by their magic bytes, never by the file name.
import CBzip2
import CIsal
import CLzma
import CZlib
import CZstd
import Foundation

/// The compressions pgsift reads.
public enum Compression: String, Sendable, CaseIterable, Codable {
  case gzip, bzip2, xz, zstd

  /// The format whose magic bytes start `head`, if any.
  public static func detect(_ head: [UInt8]) -> Compression? {
    func starts(_ magic: [UInt8]) -> Bool { head.count >= magic.count && Array(head.prefix(magic.count)) == magic }
    if starts([0x1F, 0x8B]) { return .gzip }
    if starts([0x42, 0x5A, 0x68]) { return .bzip2 }  // "BZh"
    if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
    if starts([0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
    return nil
  }

  /// The longest magic, in bytes: how much to sniff.
  public static let magicLength = 6
}

public typealias GzipSource = DecompressingSource<GzipDecoder>

extension DecompressingSource where Decoder == GzipDecoder {
  public convenience init(wrapping source: any ByteSource) throws(ByteSourceError) {
    do {
      self.init(wrapping: source, decoder: try GzipDecoder())
    } catch {
      throw ByteSourceError("zlib could not start: \(error.reason)", byteOffset: 0, isCompression: true)
    }
  }
}

/// gzip through Intel's ISA-L when this machine has it (several times zlib's speed), else through zlib. Set
/// `PGSIFT_INFLATE=zlib` to keep to zlib.
public final class GzipDecoder: StreamDecoder {
  public static let formatName = "gzip"
  public static func startsMember(_ byte: UInt8) -> Bool { byte == 0x1F }

  /// Which library inflates gzip in this process: `isa-l` or `zlib`.
  public static let library: String = {
    ProcessInfo.processInfo.environment["PGSIFT_INFLATE"] != "zlib" && cisal_available() == 1 ? "isa-l" : "zlib"
  }()

  /// zlib and ISA-L keep pointers into their state, so it must never move.
  private enum Backend {
    case zlib(UnsafeMutablePointer<z_stream>)
    case isal(UnsafeMutableRawPointer)
  }
  private let backend: Backend

  public init() throws(DecodeFailure) {
    if Self.library == "isa-l", let state = cisal_gzip_new() {
      backend = .isal(state)
      return
    }
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    // 15 window bits + 16: expect a gzip header and trailer, and check the CRC.
    let rc = czlib_inflate_init2(stream, 15 + 16)
    if rc != Z_OK {
      stream.deallocate()
      throw DecodeFailure("code \(rc)")
    }
    backend = .zlib(stream)
  }

  deinit {
    switch backend {
    case .zlib(let stream):
      inflateEnd(stream)
      stream.deallocate()
    case .isal(let state): cisal_gzip_free(state)
    }
  }

  public func decode(
    _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
  )
    throws(DecodeFailure) -> (consumed: Int, produced: Int, memberEnded: Bool)
  {
    let inCount = min(input.count, Int(UInt32.max))
    let outCount = min(output.count, Int(UInt32.max))
    switch backend {
    case .isal(let state):
      var consumed: UInt32 = 0
      var produced: UInt32 = 0
      var ended: Int32 = 0
      let rc = cisal_gzip_inflate(
        state, input.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt32(inCount),
        output.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt32(outCount), &consumed, &produced, &ended)
      guard rc >= 0 else { throw DecodeFailure(Self.isalReason(rc)) }
      return (Int(consumed), Int(produced), ended != 0)
    case .zlib(let stream):
      stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self))
      stream.pointee.avail_in = uInt(inCount)
      stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
      stream.pointee.avail_out = uInt(outCount)
      let rc = inflate(stream, Z_NO_FLUSH)
      let step = (inCount - Int(stream.pointee.avail_in), outCount - Int(stream.pointee.avail_out))
      switch rc {
      case Z_STREAM_END: return (step.0, step.1, true)
      case Z_OK, Z_BUF_ERROR: return (step.0, step.1, false)
      default: throw DecodeFailure(stream.pointee.msg.map { String(cString: $0) } ?? "code \(rc)")
      }
    }
  }

  public func reset() throws(DecodeFailure) {
    switch backend {
    case .zlib(let stream): inflateReset(stream)
    case .isal(let state): cisal_gzip_reset(state)
    }
  }

  /// ISA-L's error codes (igzip_lib.h), in words like zlib's.
  static func isalReason(_ code: Int32) -> String {
    switch code {
    case -1: return "invalid block"
    case -2: return "invalid code"
    case -3: return "invalid distance too far back"
    case -4: return "incorrect header"
    case -5: return "unknown compression method"
    case -6: return "incorrect data check"
    default: return "ISA-L code \(code)"
    }
  }
}

public final class Bzip2Decoder: StreamDecoder {
  public static let formatName = "bzip2"
  public static func startsMember(_ byte: UInt8) -> Bool { byte == 0x42 }

  private let stream: UnsafeMutablePointer<bz_stream>

  public init() throws(DecodeFailure) {
    stream = .allocate(capacity: 1)
    stream.initialize(to: bz_stream())
    let rc = BZ2_bzDecompressInit(stream, 0, 0)
    if rc != BZ_OK {
      stream.deallocate()
      throw DecodeFailure("code \(rc)")
    }
  }

  deinit {
    BZ2_bzDecompressEnd(stream)
    stream.deallocate()
  }

  public func decode(
    _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
  )
    throws(DecodeFailure) -> (consumed: Int, produced: Int, memberEnded: Bool)
  {
    let inCount = min(input.count, Int(UInt32.max))
    let outCount = min(output.count, Int(UInt32.max))
    stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: CChar.self))
    stream.pointee.avail_in = UInt32(inCount)
    stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: CChar.self)
    stream.pointee.avail_out = UInt32(outCount)
    let rc = BZ2_bzDecompress(stream)
    let step = (inCount - Int(stream.pointee.avail_in), outCount - Int(stream.pointee.avail_out))
    switch rc {
    case BZ_STREAM_END: return (step.0, step.1, true)
    case BZ_OK: return (step.0, step.1, false)
    case BZ_DATA_ERROR, BZ_DATA_ERROR_MAGIC: throw DecodeFailure("data error (code \(rc))")
    default: throw DecodeFailure("code \(rc)")
    }
  }

  public func reset() throws(DecodeFailure) {
    BZ2_bzDecompressEnd(stream)
    stream.initialize(to: bz_stream())
    let rc = BZ2_bzDecompressInit(stream, 0, 0)
    if rc != BZ_OK { throw DecodeFailure("code \(rc)") }
  }
}

public final class XzDecoder: StreamDecoder {
  public static let formatName = "xz"
  public static func startsMember(_ byte: UInt8) -> Bool { byte == 0xFD }

  private let stream: UnsafeMutablePointer<lzma_stream>

  public init() throws(DecodeFailure) {
    stream = .allocate(capacity: 1)
    stream.initialize(to: clzma_stream_init())
    do {
      try start()
    } catch {
      stream.deallocate()
      throw error
    }
  }

  private func start() throws(DecodeFailure) {
    let rc = lzma_stream_decoder(stream, UInt64.max, 0)
    if rc != LZMA_OK { throw DecodeFailure("code \(rc.rawValue)") }
  }

  deinit {
    lzma_end(stream)
    stream.deallocate()
  }

  public func decode(
    _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
  )
    throws(DecodeFailure) -> (consumed: Int, produced: Int, memberEnded: Bool)
  {
    stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
    stream.pointee.avail_in = input.count
    stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
    stream.pointee.avail_out = output.count
    let rc = lzma_code(stream, LZMA_RUN)
    let step = (input.count - stream.pointee.avail_in, output.count - stream.pointee.avail_out)
    switch rc {
    case LZMA_STREAM_END: return (step.0, step.1, true)
    case LZMA_OK, LZMA_BUF_ERROR: return (step.0, step.1, false)
    case LZMA_DATA_ERROR: throw DecodeFailure("data error")
    case LZMA_FORMAT_ERROR: throw DecodeFailure("not xz data")
    default: throw DecodeFailure("code \(rc.rawValue)")
    }
  }

  public func reset() throws(DecodeFailure) {
    lzma_end(stream)
    stream.pointee = clzma_stream_init()
    try start()
  }
}

public final class ZstdDecoder: StreamDecoder {
  public static let formatName = "zstd"
  public static func startsMember(_ byte: UInt8) -> Bool { byte == 0x28 }

  private let context: OpaquePointer

  public init() throws(DecodeFailure) {
    guard let context = ZSTD_createDCtx() else { throw DecodeFailure("out of memory") }
    self.context = context
  }

  deinit { ZSTD_freeDCtx(context) }

  public func decode(
    _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
  )
    throws(DecodeFailure) -> (consumed: Int, produced: Int, memberEnded: Bool)
  {
    var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
    var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
    let rc = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
    if ZSTD_isError(rc) != 0 { throw DecodeFailure(String(cString: ZSTD_getErrorName(rc))) }
    // 0: a frame is decoded and flushed whole.
    return (inBuffer.pos, outBuffer.pos, rc == 0)
  }

  public func reset() throws(DecodeFailure) {
    ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
  }
}
