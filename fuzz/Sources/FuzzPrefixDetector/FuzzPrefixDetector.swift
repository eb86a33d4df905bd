// Fuzzes format and log_line_prefix detection: the input's lines are the sample `pgsift analyze` reads before
// deciding, its second half as a stretch sampled further into the file. The prefix is inferred from them (the
// aligned reading and the per-line one); the first line is also tried as a `--prefix` value, and every prefix
// found or given is matched against every line.
import FuzzSupport
import LogFormats
import LogInput

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  var lines: [[UInt8]] = []
  forEachLine(in: UnsafeBufferPointer(start: data, count: size)) { line, _ in
    if lines.count < FormatDetector.sampleLines { lines.append(Array(line)) }
  }
  var prefixes: [LinePrefix] = []
  if let inferred = PrefixInferrer.infer(lines, windowStarts: [lines.count / 2]) {
    precondition(inferred.matchedRecords <= inferred.sampledRecords, "matched more records than were sampled")
    precondition(inferred.sampledRecords <= lines.count, "sampled more records than lines")
    prefixes.append(inferred.prefix)
    prefixes += inferred.alternates
  }
  if let found = PrefixDetector.detect(lines) {
    precondition(found.matched <= lines.count, "matched more lines than were read")
    prefixes.append(found.prefix)
  }
  if let detected = try? FormatDetector.detect(lines), let prefix = detected.linePrefix { prefixes.append(prefix) }
  if let first = lines.first, let given = try? LinePrefix(String(decoding: first, as: UTF8.self)) {
    prefixes.append(given)
    _ = try? FormatDetector.detect(Array(lines.dropFirst()), prefix: given)
  }
  for prefix in prefixes {
    // A prefix found in the lines is written back as text that parses to the same prefix.
    precondition((try? LinePrefix(prefix.text)) == prefix, "prefix text does not round-trip: \(prefix.text)")
    for line in lines {
      line.withUnsafeBufferPointer { view in
        if let match = prefix.match(view) {
          precondition(match.end <= view.count, "a match ends past its line")
        }
      }
    }
  }
  return 0
}

@_cdecl("FuzzPrefixDetector_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  runFuzzer(argc: argc, argv: argv, fuzz)
}
