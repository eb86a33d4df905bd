// Decompresses a byte source as it is read, member after member (`cat a.gz b.gz`, pbzip2 output, xz and zstd
// files of several streams or frames are all legal), without ever holding the whole file. One driver for every
// format; each format is a `StreamDecoder`.

/// A compression format's decoder, as the driver uses it.
public protocol StreamDecoder: AnyObject {
  /// The format's name in messages: `gzip`, `bzip2`, `xz`, `zstd`.
  static var formatName: String { get }
  /// Whether `byte` can start another member after one has ended (else it is trailing data, ignored).
  static func startsMember(_ byte: UInt8) -> Bool
  /// Decodes from `input` into `output`; returns the bytes consumed and produced, and whether a member ended.
  func decode(
    _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
  ) throws(DecodeFailure)
    -> (consumed: Int, produced: Int, memberEnded: Bool)
  /// Gets ready to decode the next member.
  func reset() throws(DecodeFailure)
}

/// Why a decoder stopped, in its library's words.
public struct DecodeFailure: Error {
  public var reason: String
  public init(_ reason: String) { self.reason = reason }
}

public final class DecompressingSource<Decoder: StreamDecoder>: ByteSource {
  private let source: any ByteSource
  private let decoder: Decoder
  private let input: UnsafeMutableRawBufferPointer
  private var inputStart = 0
  private var inputEnd = 0
  private var atMemberBoundary = false
  private var finished = false
  /// Set when bytes that do not start a member follow the last complete one.
  public private(set) var trailingBytesOffset: Int?
  /// An error met after some bytes of a read were already decoded: those are returned first.
  private var deferredError: ByteSourceError?

  public init(wrapping source: any ByteSource, decoder: Decoder, inputBufferSize: Int = 256 * 1024) {
    self.source = source
    self.decoder = decoder
    input = .allocate(byteCount: inputBufferSize, alignment: 16)
  }

  deinit { input.deallocate() }

  public var bytesConsumed: Int { source.bytesConsumed - (inputEnd - inputStart) }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ByteSourceError) -> Int {
    if let error = deferredError {
      deferredError = nil
      finished = true
      throw error
    }
    guard !finished, buffer.count > 0 else { return 0 }
    var produced = 0
    do throws(ByteSourceError) {
      while produced < buffer.count {
        if inputStart == inputEnd {
          let n = try source.read(into: input)
          if n == 0 {
            if atMemberBoundary {
              finished = true
              break
            }
            throw truncated()
          }
          inputStart = 0
          inputEnd = n
        }
        if atMemberBoundary {
          guard Decoder.startsMember(input.load(fromByteOffset: inputStart, as: UInt8.self)) else {
            trailingBytesOffset = bytesConsumed
            finished = true
            break
          }
          do { try decoder.reset() } catch { throw failure(error) }
          atMemberBoundary = false
        }
        let step: (consumed: Int, produced: Int, memberEnded: Bool)
        do {
          step = try decoder.decode(
            UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd]),
            into: UnsafeMutableRawBufferPointer(rebasing: buffer[produced...]))
        } catch {
          throw failure(error)
        }
        inputStart += step.consumed
        produced += step.produced
        if step.memberEnded { atMemberBoundary = true }
        if step.consumed == 0 && step.produced == 0 && !step.memberEnded {
          // The decoder wants more than is buffered: keep what is left and read more after it.
          let left = inputEnd - inputStart
          input.baseAddress!.copyMemory(from: input.baseAddress! + inputStart, byteCount: left)
          inputStart = 0
          inputEnd = left
          let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: input[left...]))
          if n == 0 {
            throw truncated()
          }
          inputEnd += n
        }
      }
    } catch {
      guard produced > 0 else {
        finished = true
        throw error
      }
      deferredError = error
    }
    return produced
  }

  private func truncated() -> ByteSourceError {
    ByteSourceError(
      "\(Decoder.formatName) stream ends early (truncated file?)", byteOffset: source.bytesConsumed,
      isCompression: true)
  }

  private func failure(_ error: DecodeFailure) -> ByteSourceError {
    ByteSourceError(
      "corrupt \(Decoder.formatName) data: \(error.reason)", byteOffset: bytesConsumed, isCompression: true)
  }
}
