// Fuzzes the decompressing readers and the line reader behind them. The first byte picks the decoder: 0 finds
// it by magic bytes as `pgsift analyze` does (and reads plain text when none matches); 1 to 4 force gzip,
// bzip2, xz or zstd on whatever follows.
import FuzzSupport
import LogInput

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data, size > 0 else { return 0 }
  let input = UnsafeBufferPointer(start: data + 1, count: size - 1)
  let raw = MemorySource(input, readSize: 512)
  let compression: Compression?
  switch data[0] % 5 {
  case 0: compression = Compression.detect(Array(input.prefix(Compression.magicLength)))
  case 1: compression = .gzip
  case 2: compression = .bzip2
  case 3: compression = .xz
  default: compression = .zstd
  }
  let source: any ByteSource
  do {
    switch compression {
    case .gzip: source = DecompressingSource(wrapping: raw, decoder: try GzipDecoder())
    case .bzip2: source = DecompressingSource(wrapping: raw, decoder: try Bzip2Decoder())
    case .xz: source = DecompressingSource(wrapping: raw, decoder: try XzDecoder())
    case .zstd: source = DecompressingSource(wrapping: raw, decoder: try ZstdDecoder())
    case nil: source = raw
    }
  } catch {
    fatalError("a decoder could not start: \(error)")
  }
  let reader = LineReader(source: source, chunkSize: 4096, maxLineBytes: 16384)
  var lines = 0
  var produced = 0
  do {
    // Inflated output is capped, so that a small bomb does not make a slow input.
    while produced < 8 << 20, let line = try reader.nextLine() {
      lines += 1
      produced += line.count + 1
      precondition(reader.lineNumber == lines, "line numbers skip")
    }
  } catch {
    // A damaged stream is reported with an offset inside the input, after every line before it.
    precondition(error.byteOffset >= 0 && error.byteOffset <= input.count, "offset \(error.byteOffset) outside input")
  }
  precondition(raw.bytesConsumed <= input.count, "consumed more than the input")
  return 0
}

@_cdecl("FuzzDecompression_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  runFuzzer(argc: argc, argv: argv, fuzz)
}
