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

  @Test(
    "sample windows: the lines after each window's first line end, carriage returns dropped, cut short but at the end")
  func sampleWindows() throws {
    let scratch = try TemporaryDirectory()
    // 100 lines of 10 bytes, line n at offset 10 n; the odd ones end in CRLF (the same 10 bytes).
    let text = (0..<100).map { n in String(format: "L%04d", n) + (n % 2 == 1 ? "abc\r\n" : "abcd\n") }.joined()
    try text.write(toFile: scratch.path("plain.log"), atomically: true, encoding: .utf8)
    let input = try InputFile(path: scratch.path("plain.log"))
    func strings(_ window: [[UInt8]]) -> [String] { window.map { String(decoding: $0, as: UTF8.self) } }
    // Windows at 250, 500 and 750: each begins on a line's first byte, a line taken as cut short all the same.
    let three = input.sampleWindows(after: 0, windows: 3, linesEach: 5, bytesEach: 95)
    #expect(
      three.map(strings) == [
        ["L0026abcd", "L0027abc", "L0028abcd", "L0029abc", "L0030abcd"],
        ["L0051abc", "L0052abcd", "L0053abc", "L0054abcd", "L0055abc"],
        ["L0076abcd", "L0077abc", "L0078abcd", "L0079abc", "L0080abcd"],
      ])
    // Fewer lines than asked for in the window: as many as end in it, the one it cuts off left out.
    let short = input.sampleWindows(after: 0, windows: 1, linesEach: 50, bytesEach: 45)
    #expect(short.map(strings) == [["L0051abc", "L0052abcd", "L0053abc"]])
    // A window that reaches the file's end, which ends with a line end: every line to the end, and then the
    // empty line after the last line end.
    let end = input.sampleWindows(after: 0, windows: 1, linesEach: 100, bytesEach: 600)
    #expect(end.count == 1)
    #expect(end[0].count == 50)
    #expect(strings(end[0]).first == "L0051abc")
    #expect(strings(end[0]).suffix(2) == ["L0099abc", ""])
    // Without a line end at the file's end, the last line is left out as cut short.
    try (text + "L0100abcd").write(toFile: scratch.path("open.log"), atomically: true, encoding: .utf8)
    let open = try InputFile(path: scratch.path("open.log"))
    let tail = open.sampleWindows(after: 0, windows: 1, linesEach: 100, bytesEach: 600)
    #expect(strings(tail[0]).last == "L0099abc")
    // A file no larger than a window gives none.
    #expect(input.sampleWindows(after: 0, windows: 3, linesEach: 5, bytesEach: 1000).isEmpty)
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
