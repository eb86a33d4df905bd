// Opens what the user named on the command line: a path or `-` for standard input, plain or compressed
// (gzip, bzip2, xz, zstd). Compression is told by magic bytes, never by the file name.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

public struct OpenError: Error, Sendable, CustomStringConvertible {
  public var path: String
  public var reason: String
  public var description: String { "\(path): cannot open: \(reason)" }
}

/// An opened input, ready to be split into lines.
public final class InputFile {
  /// The name shown in messages: the path, or `<stdin>`.
  public let displayName: String
  /// How the file is compressed, found by its magic bytes; nil for plain text.
  public let compression: Compression?
  public var isCompressed: Bool { compression != nil }
  /// The decompressed bytes; after `head` or `skip` it may be a different source, so read it afresh.
  public private(set) var source: any ByteSource
  private var trailing: () -> Int?
  private let raw: FileDescriptorSource

  /// Offset of bytes after the last compressed member that start no member, if any.
  public var trailingBytesOffset: Int? { trailing() }

  public static let stdinName = "<stdin>"

  public init(path: String) throws(OpenError) {
    let fd: Int32
    if path == "-" {
      fd = STDIN_FILENO
      displayName = InputFile.stdinName
    } else {
      fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
      displayName = path
      if fd < 0 { throw OpenError(path: path, reason: String(cString: strerror(errno))) }
      var info = stat()
      if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
        _ = close(fd)
        throw OpenError(path: path, reason: "is a directory")
      }
    }
    let raw = FileDescriptorSource(fd: fd, closesOnDeinit: path != "-")
    self.raw = raw
    // Sniff the first bytes, then replay them so no byte is lost.
    var head = [UInt8](repeating: 0, count: Compression.magicLength)
    var got = 0
    do {
      while got < head.count {
        let n = try head.withUnsafeMutableBytes { (buffer) throws(ByteSourceError) -> Int in
          try raw.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[got...]))
        }
        if n == 0 { break }
        got += n
      }
    } catch let error as ByteSourceError {
      throw OpenError(path: path, reason: error.message)
    } catch {
      throw OpenError(path: path, reason: "\(error)")
    }
    let replay = PrefixedSource(replaying: Array(head[0..<got]), then: raw)
    compression = Compression.detect(Array(head[0..<got]))
    func decompressing<D: StreamDecoder>(_ make: () throws(DecodeFailure) -> D) throws(OpenError) {
      do {
        let decoded = DecompressingSource(wrapping: replay, decoder: try make())
        source = decoded
        trailing = { decoded.trailingBytesOffset }
      } catch {
        throw OpenError(path: path, reason: "\(D.formatName) decoder could not start: \(error.reason)")
      }
    }
    source = replay
    trailing = { nil }
    switch compression {
    case .gzip?: try decompressing { () throws(DecodeFailure) in try GzipDecoder() }
    case .bzip2?: try decompressing { () throws(DecodeFailure) in try Bzip2Decoder() }
    case .xz?: try decompressing { () throws(DecodeFailure) in try XzDecoder() }
    case .zstd?: try decompressing { () throws(DecodeFailure) in try ZstdDecoder() }
    case nil: break
    }
  }

  /// Lines from several places inside a plain regular file, for telling its format from more than its head:
  /// `windows` stretches evenly spaced from `after` to the end, each up to `linesEach` whole lines (the partial
  /// line a stretch starts in is left out). Empty for compressed files, pipes and standard input, which cannot
  /// be read out of order; reading goes on from where it was.
  public func sampleWindows(after: Int, windows: Int, linesEach: Int, bytesEach: Int = 64 << 10) -> [[[UInt8]]] {
    guard !isCompressed, let size = fileIdentity?.size, size > after + bytesEach else { return [] }
    var result: [[[UInt8]]] = []
    for k in 1...windows {
      let offset = after + (size - after) / (windows + 1) * k
      guard let bytes = raw.bytes(at: offset, count: bytesEach) else { return [] }
      // The lines after the first line end (the window begins inside a line), found with memchr and only as
      // many as are kept: splitting the whole window first went byte by byte through three times as many.
      var lines: [[UInt8]] = []
      lines.reserveCapacity(linesEach)
      bytes.withUnsafeBufferPointer { view in
        guard let first = view.firstIndex(of: 0x0A, from: 0) else { return }
        var start = first + 1
        while lines.count < linesEach {
          guard let end = view.firstIndex(of: 0x0A, from: start) else {
            // After the last line end: a line cut short, or nothing when the window reached the file's end
            // with a line end, which is kept as the empty line it is.
            if offset + bytes.count >= size && bytes.last == 0x0A { lines.append([]) }
            break
          }
          let lineEnd = end > start && view[end - 1] == 0x0D ? end - 1 : end
          lines.append(Array(view[start..<lineEnd]))
          start = end + 1
        }
      }
      result.append(lines)
    }
    return result
  }

  /// The last `count` bytes of a plain regular file, without moving where reads go on; nil otherwise.
  public func lastBytes(_ count: Int) -> [UInt8]? {
    guard !isCompressed, let size = fileIdentity?.size else { return nil }
    return raw.bytes(at: max(0, size - count), count: min(count, size))
  }

  /// Device, inode and size on disk, for a regular file.
  public var fileIdentity: (device: UInt64, inode: UInt64, size: Int)? { raw.fileIdentity }

  /// Bytes of the file as stored that have been read (compressed bytes for gzip).
  public var storedBytesConsumed: Int { raw.bytesConsumed }

  /// The first `count` bytes of the (decompressed) text, without consuming them: they are read again after.
  public func head(_ count: Int) throws(ByteSourceError) -> [UInt8] {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
    defer { buffer.deallocate() }
    var got = 0
    while got < count {
      let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[got..<count]))
      if n == 0 { break }
      got += n
    }
    let bytes = Array(buffer[..<got])
    source = PrefixedSource(replaying: bytes, then: source)
    return bytes
  }

  /// Passes over the first `count` bytes of the text: a seek for a plain file, reading and dropping them for
  /// gzip and pipes. Call before any other read, or after `head` only.
  public func skip(_ count: Int) throws(ByteSourceError) {
    if !isCompressed && raw.seek(to: count) {
      source = raw
      return
    }
    var left = count
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { scratch.deallocate() }
    while left > 0 {
      let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[..<min(left, scratch.count)]))
      if n == 0 {
        throw ByteSourceError("the file ends before byte \(count)", byteOffset: raw.bytesConsumed, isCompression: false)
      }
      left -= n
    }
  }
}
