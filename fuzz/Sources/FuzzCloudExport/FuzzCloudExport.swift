// Fuzzes the readers of the cloud providers' JSON exports: the first byte picks Google Cloud Logging (even) or
// Azure Monitor (odd), the rest is the export. Its lines go through the record splitter, the JSON reader, the
// stderr parser inside and what reads the entries, as in `pgsift analyze --log-format cloudsql|azure`; the
// sampled lines also go through format and prefix detection.
import FuzzSupport
import LogFormats
import LogInput

let providers: [(CloudProvider, LinePrefix)] = [
  (.google, try! LinePrefix("%m [%p]: [%l-1] db=%d,user=%u ")), (.azure, try! LinePrefix("%t-%c-")),
]

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data, size > 0 else { return 0 }
  let (provider, prefix) = providers[Int(data[0]) % 2]
  let log = UnsafeBufferPointer(start: data + 1, count: size - 1)
  var sample: [[UInt8]] = []
  parseAndCheck(CloudExportParser(provider: provider, prefix: prefix, file: "fuzz"), log) { line in
    if sample.count < 200 { sample.append(Array(line)) }
  }
  _ = try? FormatDetector.detect(sample, format: provider.format)
  _ = try? FormatDetector.detect(sample)
  return 0
}

@_cdecl("FuzzCloudExport_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  runFuzzer(argc: argc, argv: argv, fuzz)
}
