// Inflates gzip data with zlib as it is read, member after member (concatenated gzip files are legal and
// common after `cat a.gz b.gz` or log rotation), without ever holding the whole file.
import CZlib

public final class GzipSource: ByteSource {
  private let source: any ByteSource
  /// zlib keeps a pointer back to its stream and checks it, so the stream must never move.
  private let stream: UnsafeMutablePointer<z_stream>
  private let input: UnsafeMutableRawBufferPointer
  private var atMemberBoundary = false
  private var finished = false
  /// Set when bytes that are not gzip follow the last complete member.
  public private(set) var trailingBytesOffset: Int?
  /// An error met after some bytes of a read were already inflated: those are returned first.
  private var deferredError: ByteSourceError?

  public init(wrapping source: any ByteSource, inputBufferSize: Int = 256 * 1024) throws(ByteSourceError) {
    self.source = source
    stream = .allocate(capacity: 1)
    stream.initialize(to: z_stream())
    input = .allocate(byteCount: inputBufferSize, alignment: 16)
    // 15 window bits + 16: expect a gzip header and trailer, and check the CRC.
    let rc = czlib_inflate_init2(stream, 15 + 16)
    if rc != Z_OK {
      input.deallocate()
      stream.deallocate()
      throw ByteSourceError("zlib could not start (code \(rc))", byteOffset: 0, isCompression: true)
    }
  }

  deinit {
    inflateEnd(stream)
    stream.deallocate()
    input.deallocate()
  }

  public var bytesConsumed: Int { source.bytesConsumed - Int(stream.pointee.avail_in) }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ByteSourceError) -> Int {
    if let error = deferredError {
      deferredError = nil
      finished = true
      throw error
    }
    guard !finished, let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
    do {
      return try inflate(into: out, count: buffer.count)
    } catch {
      let produced = buffer.count - Int(stream.pointee.avail_out)
      guard produced > 0 else {
        finished = true
        throw error
      }
      deferredError = error
      return produced
    }
  }

  private func inflate(into out: UnsafeMutableRawPointer, count: Int) throws(ByteSourceError) -> Int {
    stream.pointee.next_out = out.assumingMemoryBound(to: Bytef.self)
    stream.pointee.avail_out = uInt(min(count, Int(UInt32.max)))
    let requested = Int(stream.pointee.avail_out)
    while stream.pointee.avail_out > 0 {
      if stream.pointee.avail_in == 0 {
        let n = try source.read(into: input)
        if n == 0 {
          if atMemberBoundary {
            finished = true
            break
          }
          throw ByteSourceError(
            "gzip stream ends early (truncated file?)", byteOffset: source.bytesConsumed, isCompression: true)
        }
        stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = uInt(n)
      }
      if atMemberBoundary {
        // Another member must start with the gzip magic byte; anything else is trailing data gzip(1) ignores.
        if stream.pointee.next_in[0] != 0x1f {
          trailingBytesOffset = bytesConsumed
          finished = true
          break
        }
        inflateReset(stream)
        atMemberBoundary = false
      }
      let rc = CZlib.inflate(stream, Z_NO_FLUSH)
      switch rc {
      case Z_STREAM_END:
        atMemberBoundary = true
      case Z_OK, Z_BUF_ERROR:
        continue
      default:
        let reason = stream.pointee.msg.map { String(cString: $0) } ?? "code \(rc)"
        throw ByteSourceError("corrupt gzip data: \(reason)", byteOffset: bytesConsumed, isCompression: true)
      }
    }
    return requested - Int(stream.pointee.avail_out)
  }
}
