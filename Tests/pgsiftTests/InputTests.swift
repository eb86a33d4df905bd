// Unit tests of the input stage: line splitting and gzip members, on small in-memory sources.
import Foundation
import LogInput
import Testing

/// A byte source over an array, handing out at most `chunk` bytes a read, to exercise buffer boundaries.
final class ArraySource: ByteSource {
  let bytes: [UInt8]
  let chunk: Int
  var bytesConsumed = 0
  init(_ bytes: [UInt8], chunk: Int = 7) {
    self.bytes = bytes
    self.chunk = chunk
  }
  func read(into buffer: UnsafeMutableRawBufferPointer) throws(ByteSourceError) -> Int {
    let n = min(chunk, buffer.count, bytes.count - bytesConsumed)
    bytes.withUnsafeBytes { src in
      buffer.baseAddress!.copyMemory(from: src.baseAddress! + bytesConsumed, byteCount: n)
    }
    bytesConsumed += n
    return n
  }
}

func lines(_ reader: LineReader) throws -> [String] {
  var out: [String] = []
  while let line = try reader.nextLine() { out.append(String(decoding: line, as: UTF8.self)) }
  return out
}

@Suite("Input")
struct InputTests {
  @Test("lines: CRLF, no final newline, empty lines, lines longer than the buffer")
  func lineSplitting() throws {
    let long = String(repeating: "x", count: 100)
    let text = "a\r\n\nb\n\(long)\nlast"
    let reader = LineReader(source: ArraySource(Array(text.utf8)), chunkSize: 16)
    #expect(try lines(reader) == ["a", "", "b", long, "last"])
    #expect(reader.lineNumber == 5)
    #expect(reader.bytesRead == text.utf8.count)
  }

  @Test("a line over the limit is split and counted")
  func overlong() throws {
    let reader = LineReader(
      source: ArraySource(Array(String(repeating: "y", count: 50).utf8)), chunkSize: 16, maxLineBytes: 16)
    let got = try lines(reader)
    #expect(got.joined() == String(repeating: "y", count: 50))
    #expect(reader.overlongLines >= 2)
  }

  @Test("gzip: several members inflate as one stream")
  func gzipMembers() throws {
    let scratch = try TemporaryDirectory()
    try shell(
      "cd '\(scratch.url.path)' && printf 'one\\ntwo\\n' | gzip -c > m.gz && printf 'three\\n' | gzip -c >> m.gz")
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: scratch.path("m.gz"))))
    let reader = LineReader(source: try GzipSource(wrapping: ArraySource(bytes, chunk: 5)), chunkSize: 16)
    #expect(try lines(reader) == ["one", "two", "three"])
  }

  @Test("gzip: a truncated member is an error after the lines before it")
  func gzipTruncated() throws {
    let scratch = try TemporaryDirectory()
    try shell("cd '\(scratch.url.path)' && seq 1 20000 | gzip -c > t.gz")
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: scratch.path("t.gz"))))
    let reader = LineReader(source: try GzipSource(wrapping: ArraySource(Array(bytes.dropLast(30)), chunk: 4096)))
    var got = 0
    do {
      while try reader.nextLine() != nil { got += 1 }
      Issue.record("expected an error")
    } catch {
      #expect(error.isCompression)
      #expect(error.message.contains("ends early"))
    }
    #expect(got > 19_000)
  }

  @Test("opening sniffs gzip by magic bytes, not by name")
  func sniff() throws {
    let scratch = try TemporaryDirectory()
    try shell("cd '\(scratch.url.path)' && printf 'plain\\n' | gzip -c > named.log && printf 'x\\n' > named.gz")
    let gz = try InputFile(path: scratch.path("named.log"))
    #expect(gz.isCompressed)
    #expect(try lines(LineReader(source: gz.source)) == ["plain"])
    let plain = try InputFile(path: scratch.path("named.gz"))
    #expect(!plain.isCompressed)
    #expect(throws: OpenError.self) { try InputFile(path: scratch.path("missing")) }
  }
}
