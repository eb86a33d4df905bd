// Rotated logs come gzip'd, but also as .bz2, .xz and .zst: each read in-process, found by its magic bytes,
// multi-member files whole, and damage reported with the file and offset while what came before it counts.
import Foundation
import LogInput
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

/// gzip is inflated by Intel's ISA-L where libisal.so.2 is installed, by zlib otherwise or with
/// `PGSIFT_INFLATE=zlib`: both must read every file alike, damaged ones included.
@Suite("gzip through ISA-L and through zlib")
struct InflateLibraryTests {
  static let shop = Paths.shop.appendingPathComponent("postgresql.log.gz").path
  static let isalInstalled = ["/usr/lib/x86_64-linux-gnu/libisal.so.2", "/usr/lib/aarch64-linux-gnu/libisal.so.2"]
    .contains { FileManager.default.fileExists(atPath: $0) }
  static let libraries = ["isa-l", "zlib"]

  func analyze(_ file: String, with library: String) throws -> CLIResult {
    try pgsift(["analyze", file, "--format", "json"], environment: ["PGSIFT_INFLATE": library])
  }

  @Test(
    "where libisal.so.2 is installed, gzip goes through ISA-L unless PGSIFT_INFLATE=zlib",
    .enabled(if: isalInstalled, "needs Debian's libisal2 (scripts/install-deps installs libisal-dev)"))
  func isalChosen() {
    #expect(GzipDecoder.library == (ProcessInfo.processInfo.environment["PGSIFT_INFLATE"] == "zlib" ? "zlib" : "isa-l"))
  }

  @Test("one member or many, at any level: the same report from either library", arguments: libraries)
  func members(_ library: String) throws {
    let dir = try TemporaryDirectory()
    try shell(
      """
      cd '\(dir.url.path)' && gzip -dc '\(Self.shop)' > plain.log && split -n l/3 plain.log part. \
      && gzip -1 -c part.aa > multi.log && gzip -9 -c part.ab >> multi.log && gzip -6 -c part.ac >> multi.log
      """)
    let plain = try pgsift(["analyze", dir.path("plain.log"), "--format", "json"]).report()
    for file in [Self.shop, dir.path("multi.log")] {
      let result = try analyze(file, with: library)
      #expect(result.status == 0, "\(library) \(file): \(result.stderr)")
      #expect(callsAndTotals(try result.report()) == callsAndTotals(plain))
    }
  }

  @Test("damage: a cut, trailing text, a broken member, a flipped byte; named alike by either", arguments: libraries)
  func damage(_ library: String) throws {
    let dir = try TemporaryDirectory()
    let size = try FileManager.default.attributesOfItem(atPath: Self.shop)[.size] as! Int
    try shell(
      """
      cd '\(dir.url.path)' && head -c 300000 '\(Self.shop)' > cut.gz \
      && cp '\(Self.shop)' text.gz && printf 'not gzip at all\\n' >> text.gz \
      && cp '\(Self.shop)' member.gz && printf '\\037\\213\\010\\000garbage after a gzip header' >> member.gz \
      && cp '\(Self.shop)' flipped.gz && printf '\\377\\377\\377\\377' | dd of=flipped.gz bs=1 seek=200000 \
        conv=notrunc 2>/dev/null
      """)
    let cut = try analyze(dir.path("cut.gz"), with: library)
    #expect(cut.status == 2 && cut.stderr.contains("gzip stream ends early") && cut.stderr.contains("(byte 300000)"))
    let before = try HostileInputTests.statements(in: "gzip -dc '\(dir.path("cut.gz"))' 2>/dev/null")
    #expect(try cut.report().summary.statements == before)
    let text = try analyze(dir.path("text.gz"), with: library)
    #expect(text.stderr.contains("(byte \(size)): data after the last gzip member is not gzip data; ignored"))
    #expect(try text.report().summary.statements == HostileInputTests.shopStatements)
    let member = try analyze(dir.path("member.gz"), with: library)
    #expect(member.status == 2 && member.stderr.contains("(byte \(size)): corrupt gzip data"), "\(member.stderr)")
    #expect(try member.report().summary.statements == HostileInputTests.shopStatements)
    // A flipped byte mid-file: corrupt data (or a bad check at the end); what came before still counts.
    let flipped = try analyze(dir.path("flipped.gz"), with: library)
    #expect(flipped.status == 2 && flipped.stderr.contains("corrupt gzip data"), "\(flipped.stderr)")
    let report = try flipped.report()
    #expect(report.input.problems["corrupt_compression"] == 1)
    #expect(report.summary.statements > 1_000 && report.summary.statements < HostileInputTests.shopStatements)
  }
}
