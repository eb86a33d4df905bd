// Rotated logs come gzip'd, but also as .bz2, .xz and .zst: each read in-process, found by its magic bytes,
// multi-member files whole, and damage reported with the file and offset while what came before it counts.
import Foundation
import Reports
import Testing

@Suite("Compressed logs: bzip2, xz, zstd")
struct CompressionTests {
  static let shop = Paths.shop.appendingPathComponent("postgresql.log.gz").path

  @Test("each format, one member or several, gives the plain log's report", arguments: ["bzip2", "xz", "zstd"])
  func wholeFile(_ tool: String) throws {
    let dir = try TemporaryDirectory()
    let d = dir.url.path
    // Named .log so that nothing but the magic bytes can tell; the multi-member file is three files
    // compressed apart and concatenated, as `cat` of rotated pieces makes it.
    try shell(
      """
      cd '\(d)' && gzip -dc '\(Self.shop)' > plain.log && \(tool) -c < plain.log > one.log \\
      && split -n l/3 plain.log part. && for p in part.*; do \(tool) -c < $p >> multi.log; done
      """)
    let plain = try pgsift(["analyze", dir.path("plain.log"), "--format", "json", "--jobs", "1"])
    for name in ["one.log", "multi.log"] {
      let result = try pgsift(["analyze", dir.path(name), "--format", "json"])
      #expect(result.status == 0, "\(tool) \(name): \(result.stderr)")
      let report = try result.report()
      #expect(report.summary.statements == 21_875)
      #expect(report.input.files.first?.compression?.rawValue == tool)
      #expect(callsAndTotals(report) == callsAndTotals(try plain.report()))
    }
  }

  @Test(
    "a truncated file: exit 2, the offset named, every statement before the damage counted",
    arguments: [
      "bzip2", "xz", "zstd",
    ])
  func truncated(_ tool: String) throws {
    let dir = try TemporaryDirectory()
    try shell(
      "cd '\(dir.url.path)' && gzip -dc '\(Self.shop)' | \(tool) -c > full && head -c $(( $(wc -c < full) / 2 )) full > half.log"
    )
    let result = try pgsift(["analyze", dir.path("half.log"), "--format", "json"])
    #expect(result.status == 2)
    #expect(
      result.stderr.contains("\(tool) stream ends early (truncated file?)")
        || result.stderr.contains("corrupt \(tool) data"))
    #expect(result.stderr.contains("half.log"))
    let report = try result.report()
    #expect(report.summary.statements > 5_000 && report.summary.statements < 21_875)
    #expect(report.input.problems["corrupt_compression"] == 1)
  }

  @Test("garbage after the last member is reported and ignored", arguments: ["bzip2", "xz", "zstd"])
  func trailingGarbage(_ tool: String) throws {
    let dir = try TemporaryDirectory()
    try shell(
      "cd '\(dir.url.path)' && gzip -dc '\(Self.shop)' | \(tool) -c > tail.log && printf 'not compressed\\n' >> tail.log"
    )
    let result = try pgsift(["analyze", dir.path("tail.log"), "--format", "json"])
    #expect(result.status == 2)
    #expect(result.stderr.contains("member is not \(tool) data; ignored"))
    #expect(try result.report().summary.statements == 21_875)
  }
}
