// Fuzzes the readers of the cloud providers' JSON exports: the first byte picks Google Cloud Logging (even) or
// Azure Monitor (odd), the rest is the export. Its lines go through the record splitter, the JSON reader, the
// stderr parser inside and what reads the entries, as in `pgsift analyze --log-format cloudsql|azure`; the
// sampled lines also go through format and prefix detection.
import FuzzSupport
import LogFormats
import LogInput
import ServerEvents
import Statistics

let providers: [(CloudProvider, LinePrefix)] = [
  (.google, try! LinePrefix("%m [%p]: [%l-1] db=%d,user=%u ")), (.azure, try! LinePrefix("%t-%c-")),
]

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data, size > 0 else { return 0 }
  let (provider, prefix) = providers[Int(data[0]) % 2]
  let log = UnsafeBufferPointer(start: data + 1, count: size - 1)
  var parser = CloudExportParser(provider: provider, prefix: prefix, file: "fuzz")
  var sink = EventClassifier(downstream: StatementAggregator(thresholdUs: 30_000, intervalMs: 60_000))
  var sample: [[UInt8]] = []
  let lines = forEachLine(in: log) { line, number in
    if sample.count < 200 { sample.append(Array(line)) }
    parser.feed(line, lineNumber: number, into: &sink)
  }
  parser.finish(into: &sink)
  sink.finish()
  sink.downstream.normalizeTexts()
  let counts = parser.counts
  precondition(counts.lines == lines, "the parser counted \(counts.lines) of \(lines) lines")
  precondition(counts.skippedLines + counts.blankLines <= counts.lines, "more lines skipped than read")
  _ = try? FormatDetector.detect(sample, format: provider.format)
  _ = try? FormatDetector.detect(sample)
  return 0
}

@_cdecl("FuzzCloudExport_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  runFuzzer(argc: argc, argv: argv, fuzz)
}
