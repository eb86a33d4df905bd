// Sources of raw bytes: a file descriptor, or a gzip stream wrapped around another source.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An error reading bytes, with the byte offset at which it happened.
public struct ByteSourceError: Error, Sendable, CustomStringConvertible {
  public var message: String
  /// Offset in the underlying file where reading failed.
  public var byteOffset: Int
  /// Whether this is a compression problem (corrupt or truncated stream) rather than an I/O one.
  public var isCompression: Bool

  public init(_ message: String, byteOffset: Int, isCompression: Bool) {
    self.message = message
    self.byteOffset = byteOffset
    self.isCompression = isCompression
  }

  public var description: String { message }
}

/// Something that fills buffers with bytes until it runs out.
public protocol ByteSource: AnyObject {
  /// Reads up to `buffer.count` bytes; returns 0 only at the end of the input.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws(ByteSourceError) -> Int
  /// Bytes consumed from the underlying file so far.
  var bytesConsumed: Int { get }
}

/// Reads a file descriptor with plain `read(2)`, retrying on EINTR. Owns the descriptor when asked to.
public final class FileDescriptorSource: ByteSource {
  private let fd: Int32
  private let closesOnDeinit: Bool
  public private(set) var bytesConsumed = 0

  public init(fd: Int32, closesOnDeinit: Bool) {
    self.fd = fd
    self.closesOnDeinit = closesOnDeinit
  }

  deinit {
    if closesOnDeinit { _ = close(fd) }
  }

  /// Moves to `offset` when the descriptor is a regular file; false when it cannot seek (a pipe, a terminal).
  public func seek(to offset: Int) -> Bool {
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, lseek(fd, off_t(offset), SEEK_SET) >= 0 else {
      return false
    }
    bytesConsumed = offset
    return true
  }

  /// Up to `count` bytes from `offset` of a regular file, without moving where reads go on; nil for anything
  /// that cannot be read at an offset (a pipe, a terminal).
  public func bytes(at offset: Int, count: Int) -> [UInt8]? {
    guard fileIdentity != nil else { return nil }
    var result = [UInt8](repeating: 0, count: count)
    let got = result.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
    guard got >= 0 else { return nil }
    result.removeLast(count - got)
    return result
  }

  /// Device, inode and size of the file, when it is one.
  public var fileIdentity: (device: UInt64, inode: UInt64, size: Int)? {
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    return (UInt64(info.st_dev), UInt64(info.st_ino), Int(info.st_size))
  }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ByteSourceError) -> Int {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
    while true {
      let n = Glibc.read(fd, base, buffer.count)
      if n >= 0 {
        bytesConsumed += n
        return n
      }
      if errno == EINTR { continue }
      throw ByteSourceError(
        "read failed: \(String(cString: strerror(errno)))", byteOffset: bytesConsumed, isCompression: false)
    }
  }
}

/// A source that first replays bytes already read (for format sniffing), then continues with another source.
public final class PrefixedSource: ByteSource {
  private var pending: [UInt8]
  private var pendingOffset = 0
  private let rest: any ByteSource

  public init(replaying bytes: [UInt8], then rest: any ByteSource) {
    self.pending = bytes
    self.rest = rest
  }

  public var bytesConsumed: Int { rest.bytesConsumed - (pending.count - pendingOffset) }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ByteSourceError) -> Int {
    if pendingOffset < pending.count {
      let n = min(buffer.count, pending.count - pendingOffset)
      pending.withUnsafeBytes { src in
        buffer.baseAddress!.copyMemory(from: src.baseAddress! + pendingOffset, byteCount: n)
      }
      pendingOffset += n
      if pendingOffset == pending.count { pending = []; pendingOffset = 0 }
      return n
    }
    return try rest.read(into: buffer)
  }
}
