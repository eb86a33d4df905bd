// Unit tests of the byte scans every line goes through, each against the plain loop it stands for: whether a
// line is plain text, how many line ends a block holds, and the severity marker after a prefix. Their fast
// paths (vectors, words, overlapping reads) differ by length and by where a byte falls, so every length up to
// a few vectors and every place in it is tried. Last, the two hashes of a statement's text taken in one pass.
import Fingerprint
import LogFormats
import LogInput
import Testing

@Suite("Byte scans")
struct ByteScanTests {
  @Test("a line is plain text exactly when no byte is NUL or from 0x80 on, at every length and place")
  func plainText() {
    for length in 0...150 {
      let plain = [UInt8]((0..<length).map { UInt8(0x20 + $0 % 0x5F) })
      plain.withUnsafeBufferPointer { #expect($0.isPlainText, "length \(length)") }
      for place in 0..<length {
        for bad: UInt8 in [0x00, 0x80, 0xC3, 0xFF] {
          var line = plain
          line[place] = bad
          line.withUnsafeBufferPointer { #expect(!$0.isPlainText, "length \(length), \(bad) at \(place)") }
        }
        // The bytes next to the bounds are plain: 0x01 and 0x7F.
        for edge: UInt8 in [0x01, 0x7F] {
          var line = plain
          line[place] = edge
          line.withUnsafeBufferPointer { #expect($0.isPlainText, "length \(length), \(edge) at \(place)") }
        }
      }
    }
  }

  @Test("line ends are counted as a loop counts them: every length, sparse and dense, more than a lane holds")
  func newlines() {
    var generator = SystemRandomNumberGenerator()
    var lengths = Array(0...300)
    lengths += [4_095, 4_096, 4_097, 16_320, 16_383, 16_384, 16_385, 70_000]
    for length in lengths {
      for share in [0.0, 0.02, 0.5, 1.0] {
        let bytes = (0..<length).map { _ in
          Double.random(in: 0..<1, using: &generator) < share ? UInt8(0x0A) : UInt8(0x41)
        }
        let expected = bytes.count(where: { $0 == 0x0A })
        bytes.withUnsafeBufferPointer {
          #expect(LineReader.countNewlines($0) == expected, "length \(length), share \(share)")
        }
      }
    }
  }

  @Test("every severity marker reads as the token before its colon and up to two spaces after it")
  func markers() {
    let tokens: [(String, Severity)] = [
      ("LOG", .log), ("ERROR", .error), ("DETAIL", .detail), ("STATEMENT", .statement), ("WARNING", .warning),
      ("FATAL", .fatal), ("HINT", .hint), ("CONTEXT", .context), ("NOTICE", .notice), ("INFO", .info),
      ("PANIC", .panic), ("QUERY", .query), ("LOCATION", .location), ("DEBUG", .debug), ("DEBUG2", .debug),
    ]
    for (token, severity) in tokens {
      for spaces in 0...3 {
        for text in ["", "x", "duration: 1.5 ms  statement: SELECT 1"] {
          for lead in ["", "[42] "] {
            let line = Array((lead + token + ":" + String(repeating: " ", count: spaces) + text).utf8)
            let at = lead.utf8.count
            let start = at + token.utf8.count + 1 + min(spaces, 2)
            line.withUnsafeBufferPointer { view in
              let parsed = Severity.parseMarker(view, at: at)
              #expect(parsed?.0 == severity && parsed?.textStart == start, "\(String(decoding: line, as: UTF8.self))")
            }
          }
        }
      }
    }
    for line in ["LOG", "LOG  x", "LOGS:  x", "log:  x", "ERRORS:  x", "DETAILED:  x", "DETAIL x", ":  LOG"] {
      Array(line.utf8).withUnsafeBufferPointer { #expect(Severity.parseMarker($0, at: 0) == nil, "\(line)") }
    }
  }

  @Test("a text's two hashes in one pass: the first is textHash's, and a byte changed anywhere changes both")
  func statementHashes() {
    for length in 0...70 {
      let text = [UInt8]((0..<length).map { UInt8(truncatingIfNeeded: 0x41 + $0 * 7) })
      let (first, second) = text.withUnsafeBufferPointer { Fingerprinter.hashes($0) }
      #expect(first == text.withUnsafeBufferPointer { Fingerprinter.textHash($0) }, "length \(length)")
      // The same bytes at an odd address (the words are read unaligned) hash alike.
      let shifted = ([0x7E] + text).withUnsafeBufferPointer {
        Fingerprinter.hashes(UnsafeBufferPointer(rebasing: $0[1...]))
      }
      #expect(shifted.text == first && shifted.check == second, "length \(length)")
      #expect(first != second, "length \(length)")
      // One byte longer, with a NUL: the length is hashed as well as the bytes.
      let longer = (text + [0]).withUnsafeBufferPointer { Fingerprinter.hashes($0) }
      #expect(longer.text != first && longer.check != second, "length \(length)")
      for place in 0..<length {
        var changed = text
        changed[place] ^= 0x20
        let other = changed.withUnsafeBufferPointer { Fingerprinter.hashes($0) }
        #expect(other.text != first && other.check != second, "length \(length), byte \(place)")
      }
    }
  }
}
