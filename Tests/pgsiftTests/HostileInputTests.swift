// Hostile input through the CLI, one test per kind of damage that servers, rotations and disks produce. Each
// starts from the shop corpus's real log, damages it, and checks: no crash (the exit status is 0 or 2, never a
// signal), a message naming the file and line or byte, the skipped count in the report, and every statement
// outside the damage still counted. The count to expect comes from grep over the undamaged text, not from
// pgsift. (Damage tested elsewhere: invalid UTF-8, lines with no known prefix, an empty file and a directory in
// BadInputTests; bytes after the last bzip2, xz and zstd member in CompressionTests.)
import Fingerprint
import Foundation
import Reports
import Testing

#if canImport(Glibc)
  import Glibc
#endif

// One at a time: two of them stop pgsift in the middle of a file, which a loaded machine makes harder.
@Suite("Hostile input", .serialized)
struct HostileInputTests {
  static let shopLog = Paths.shop.appendingPathComponent("postgresql.log.gz").path
  static let shopStatements = 21_875
  /// The lines that each log one statement in the shop corpus (its README's count, 21,875, is what this finds).
  static let statementPattern = "LOG:  (duration: [0-9.]+ ms  )?(statement|execute [^:]*):"
  static let prefix = "2026-11-25 04:04:07 UTC [99999]: [1-1] user=postgres,db=shop,app=pgbench,client=[local] LOG:  "

  /// Statements in the text a shell command prints, counted by grep.
  static func statements(in command: String) throws -> Int { try grepCount(statementPattern, in: command) }

  /// The shop log's lines, with `edit` applied (a Python statement over the list of byte lines `d`), written to
  /// `path`. `first(n)` is the index of the first record line at or after n.
  static func damagedLog(_ path: String, _ edit: String) throws {
    let script = """
      import gzip
      d = gzip.open('\(shopLog)').read().split(b'\\n')
      def first(n): return next(i for i in range(n, len(d)) if d[i].startswith(b'2026'))
      \(edit)
      open('\(path)', 'wb').write(b'\\n'.join(d))
      """
    let result = try run("/usr/bin/env", ["python3", "-c", script])
    try #require(result.status == 0, "python3: \(result.stderr)")
  }

  static func expectNoCrash(_ result: CLIResult, _ allowed: Set<Int32> = [0, 2]) {
    #expect(allowed.contains(result.status), "exit status \(result.status): \(result.stderr.prefix(2_000))")
  }

  @Test("truncated gzip: every statement before the cut is counted, the byte offset is named")
  func truncatedGzip() throws {
    let scratch = try TemporaryDirectory()
    let cut = scratch.path("cut.log.gz")
    try shell("head -c 300000 '\(Self.shopLog)' > '\(cut)'")
    let expected = try Self.statements(in: "gzip -dc '\(cut)' 2>/dev/null")
    let result = try pgsift(["analyze", cut, "--format", "json"])
    Self.expectNoCrash(result)
    #expect(result.status == 2)
    #expect(result.stderr.contains("\(cut):"))
    #expect(result.stderr.contains("gzip stream ends early"))
    #expect(result.stderr.contains("(byte 300000)"))
    let report = try result.report()
    #expect(expected > 10_000)
    #expect(report.summary.statements == expected)
    #expect(report.input.problems["corrupt_compression"] == 1)
  }

  @Test("gzip followed by garbage: text, and bytes that start like another gzip member", arguments: ["text", "member"])
  func gzipThenGarbage(_ kind: String) throws {
    let scratch = try TemporaryDirectory()
    let file = scratch.path("trailing.log.gz")
    let garbage =
      kind == "text" ? "printf 'not gzip at all\\n'" : "printf '\\037\\213\\010\\000garbage after a gzip header'"
    try shell("cp '\(Self.shopLog)' '\(file)' && \(garbage) >> '\(file)'")
    let result = try pgsift(["analyze", file, "--format", "json"])
    Self.expectNoCrash(result)
    #expect(result.status == 2)
    let size = try FileManager.default.attributesOfItem(atPath: Self.shopLog)[.size] as! Int
    // Text after the last member is named where it starts; a broken member where inflating it failed.
    let message =
      kind == "text"
      ? "\(file) (byte \(size)): data after the last gzip member is not gzip data; ignored"
      : "\(file):57021 (byte \(size)): corrupt gzip data"
    #expect(result.stderr.contains(message), "\(result.stderr)")
    let report = try result.report()
    #expect(report.summary.statements == Self.shopStatements)
    #expect(report.input.problems["corrupt_compression"] == 1)
  }

  @Test("a plain log named .gz and a gzip file named .bz2 are read by their content, with a notice")
  func misnamed() throws {
    let scratch = try TemporaryDirectory()
    let plain = scratch.path("plain.log.gz")
    let gzip = scratch.path("gzip.log.bz2")
    try shell("gzip -dc '\(Self.shopLog)' > '\(plain)' && cp '\(Self.shopLog)' '\(gzip)'")
    let result = try pgsift(["analyze", plain, gzip, "--format", "json"])
    Self.expectNoCrash(result)
    #expect(result.status == 0)
    #expect(result.stderr.contains("\(plain): named .gz but holds no compressed data; read as plain text"))
    #expect(result.stderr.contains("\(gzip): named .bz2 but holds gzip data; read as gzip"))
    #expect(try result.report().summary.statements == 2 * Self.shopStatements)
  }

  @Test("NUL bytes: a zero-filled run glued to a record, a line of zeros, a NUL inside a statement")
  func nulBytes() throws {
    let scratch = try TemporaryDirectory()
    let file = scratch.path("nul.log")
    try Self.damagedLog(
      file,
      """
      i = first(1000); d[i] = b'\\0' * 4096 + d[i]
      j = first(2000); d.insert(j, b'\\0' * 5000)
      k = next(n for n in range(3000, len(d)) if b'statement: SELECT' in d[n]); d[k] = d[k].replace(b'SELECT', b'SELECT \\0', 1)
      print(i + 1, j + 1, k + 1)
      """)
    let result = try pgsift(["analyze", file, "--format", "json"])
    Self.expectNoCrash(result)
    #expect(result.status == 2)
    #expect(result.stderr.contains("\(file):1001: 4096 NUL bytes before the text"))
    #expect(result.stderr.contains("\(file):2001: 5000 NUL bytes and nothing else"))
    #expect(result.stderr.contains("line holds NUL bytes; kept"))
    let report = try result.report()
    #expect(report.summary.statements == Self.shopStatements)
    #expect(report.input.skippedLines == 1)
    #expect(report.input.problems["nul_bytes"] == 3)
  }

  @Test("a single 50 MB line: one statement, fingerprinted from its normalized text")
  func fiftyMegabyteLine() throws {
    let scratch = try TemporaryDirectory()
    let file = scratch.path("long.log")
    try Self.damagedLog(
      file,
      "d.insert(first(3000), b'\(Self.prefix)duration: 12.5 ms  statement: INSERT INTO blobs VALUES (\\'' + b'x' * (50 << 20) + b'\\')')"
    )
    let result = try pgsift(["analyze", file, "--format", "json"])
    Self.expectNoCrash(result)
    #expect(result.status == 0, "\(result.stderr)")
    let report = try result.report()
    #expect(report.summary.statements == Self.shopStatements + 1)
    let blob = try #require(report.queries.first { $0.normalized.contains("blobs") })
    #expect(blob.normalized == "INSERT INTO blobs VALUES ($1)")
    // The same fingerprint libpg_query gives the statement with a short literal.
    #expect(blob.fingerprintSource == "libpg_query")
    #expect(blob.fingerprint == Self.fingerprint(of: "INSERT INTO blobs VALUES ('x')"))
  }

  @Test("a 640 MB line: its record read to the first 64 MiB, the rest named and left out, in less memory than the line")
  func hugeLine() throws {
    let scratch = try TemporaryDirectory()
    let file = scratch.path("huge.log")
    try Self.damagedLog(
      file,
      "d.insert(first(3000), b'\(Self.prefix)duration: 12.5 ms  statement: INSERT INTO blobs VALUES (\\'' + b'x' * (640 << 20) + b'\\')')"
    )
    // pgsift run as a child of python, which reports the child's peak resident memory.
    let measure = scratch.path("measure.py")
    try """
    import resource, subprocess, sys
    with open(sys.argv[1], 'w') as out, open(sys.argv[2], 'w') as err:
        status = subprocess.run(sys.argv[3:], stdout=out, stderr=err).returncode
    print(status, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
    """.write(toFile: measure, atomically: true, encoding: .utf8)
    let out = scratch.path("report.json")
    let err = scratch.path("stderr")
    let measured = try run(
      "/usr/bin/env", ["python3", measure, out, err, Paths.binary.path, "analyze", file, "--format", "json"])
    let figures = measured.stdout.split(separator: " ").compactMap {
      Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    try #require(figures.count == 2, "\(measured.stdout) \(measured.stderr)")
    let stderr = try String(contentsOfFile: err, encoding: .utf8)
    #expect(figures[0] == 2, "\(stderr)")
    // Peak memory below the line's size (it was twice the line when the whole record was kept).
    #expect(figures[1] < 512, "peak \(figures[1]) MiB for a 640 MiB line")
    #expect(stderr.contains("\(file):"), "\(stderr)")
    #expect(stderr.contains("a record longer than 64 MiB: its "), "\(stderr)")
    #expect(stderr.contains("are left out; the record is read up to there"), "\(stderr)")
    let report = try JSONReport.decode(String(contentsOfFile: out, encoding: .utf8))
    #expect(report.summary.statements == Self.shopStatements + 1)
    #expect(report.input.problems["malformed_record"] == 1)
    let blob = try #require(report.queries.first { $0.normalized.contains("blobs") })
    #expect(blob.calls == 1)
  }

  static func fingerprint(of sql: String) -> String {
    guard case .success(let value) = PgQuery.fingerprint(sql) else { return "unparsed" }
    return Fingerprint(value: value, source: .libpgQuery).hex
  }

  @Test("a 100,000-line statement: read whole, fingerprinted by the lexer past libpg_query's size limit")
  func hundredThousandLines() throws {
    let scratch = try TemporaryDirectory()
    let file = scratch.path("multi.log")
    try Self.damagedLog(
      file,
      """
      lines = [b'\(Self.prefix)duration: 3.0 ms  statement: SELECT 1'] + [b'\\t UNION ALL SELECT %d' % n for n in range(100000)]
      i = first(3000); d[i:i] = lines
      """)
    let result = try pgsift(["analyze", file, "--format", "json"])
    Self.expectNoCrash(result)
    #expect(result.status == 0, "\(result.stderr)")
    let report = try result.report()
    #expect(report.summary.statements == Self.shopStatements + 1)
    #expect(report.input.skippedLines == 0)
    let union = try #require(report.queries.first { $0.normalized.contains("UNION ALL") })
    #expect(union.fingerprintSource == "lexer")
    #expect(union.parseError?.contains("longer than the 1 MiB given to libpg_query") == true)
    #expect(union.normalized.components(separatedBy: "UNION ALL").count == 100_001)
  }

  @Test("a statement nested 50,000 deep (it overflowed libpg_query's stack) is parsed on a deep stack")
  func deepStatement() throws {
    let scratch = try TemporaryDirectory()
    let file = scratch.path("deep.log")
    try Self.damagedLog(
      file,
      """
      sql = b'SELECT 1' + b''.join(b'+%d' % n for n in range(50000))
      d.insert(first(3000), b'\(Self.prefix)duration: 2.0 ms  statement: ' + sql)
      """)
    let result = try pgsift(["analyze", file, "--format", "json"])
    Self.expectNoCrash(result)
    #expect(result.status == 0, "\(result.stderr)")
    let report = try result.report()
    #expect(report.summary.statements == Self.shopStatements + 1)
    let deep = try #require(report.queries.first { $0.normalized.hasPrefix("SELECT $1+$2+") })
    #expect(deep.fingerprintSource == "libpg_query")
    #expect(deep.parseError == nil)
  }

  @Test("a binary file: named as such, every line skipped, the other files still counted")
  func binaryFile() throws {
    let scratch = try TemporaryDirectory()
    let binary = scratch.path("core.log")
    try shell("head -c 3000000 '\(Paths.binary.path)' > '\(binary)'")
    let lines = try Self.count(lines: binary)
    let result = try pgsift(["analyze", binary, Self.shopLog, "--format", "json"])
    Self.expectNoCrash(result)
    #expect(result.status == 2)
    #expect(result.stderr.contains("\(binary):1: binary data, not a log; every line skipped"))
    let report = try result.report()
    #expect(report.summary.statements == Self.shopStatements)
    let summary = try #require(report.input.files.first { $0.path == binary })
    #expect(summary.lines == lines)
    #expect(summary.skippedLines == lines)
  }

  static func count(lines path: String) throws -> Int {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } + (data.last == 0x0A || data.isEmpty ? 0 : 1)
  }

  /// Runs pgsift on `file`, stops it once it has read part of the file (its read offset, from /proc), applies
  /// `change` to the file, and lets it finish.
  static func interrupted(
    _ file: String, _ arguments: [String], change: @escaping () throws -> Void
  ) throws -> CLIResult {
    try pgsift(["analyze", file] + arguments) { process in
      let pid = process.processIdentifier
      let descriptors = "/proc/\(pid)/fd"
      var stopped = false
      let deadline = Date().addingTimeInterval(30)
      while !stopped && process.isRunning && Date() < deadline {
        for fd in (try? FileManager.default.contentsOfDirectory(atPath: descriptors)) ?? [] {
          guard (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(descriptors)/\(fd)")) == file,
            let info = try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(fd)", encoding: .utf8),
            let line = info.split(separator: "\n").first(where: { $0.hasPrefix("pos:") }),
            let position = Int(line.dropFirst(4).trimmingCharacters(in: .whitespaces)), position > 0
          else { continue }
          kill(pid, SIGSTOP)
          stopped = true
          // Stopped before the end of the file, or the test proves nothing.
          let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
          let now = (try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(fd)", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("pos:") }.flatMap {
              Int($0.dropFirst(4).trimmingCharacters(in: .whitespaces))
            }
          #expect(now.map { $0 < size } ?? false, "pgsift had read all of \(file) when it was stopped")
          break
        }
        if !stopped { usleep(2_000) }
      }
      try #require(stopped, "pgsift finished before it could be stopped in the middle of \(file)")
      defer { kill(pid, SIGCONT) }
      try change()
    }
  }

  /// The shop log nine times over (about 70 MB): long enough to stop pgsift in the middle of it.
  static func bigLog(_ path: String) throws {
    try shell("for n in 1 2 3 4 5 6 7 8 9; do gzip -dc '\(shopLog)'; done > '\(path)'")
  }

  @Test("a file truncated while it is read: what was read is counted, the loss is named")
  func truncatedWhileRead() throws {
    let scratch = try TemporaryDirectory()
    let file = scratch.path("rotating.log")
    try Self.bigLog(file)
    let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as! Int
    let result = try Self.interrupted(file, ["--format", "json", "--jobs", "1"]) {
      try FileHandle(forWritingTo: URL(fileURLWithPath: file)).truncate(atOffset: 0)
    }
    Self.expectNoCrash(result)
    #expect(result.status == 2)
    let message = try #require(
      result.stderr.split(separator: "\n").first {
        $0.contains("file shrank from \(size) to 0 bytes while being read")
      },
      "\(result.stderr)")
    #expect(message.hasPrefix("pgsift: \(file):"))
    #expect(message.contains("(byte "))
    let report = try result.report()
    let summary = try #require(report.input.files.first)
    // The statements in the lines read before the cut, as grep counts them.
    let expected = try Self.statements(
      in: "for n in 1 2 3 4 5 6 7 8 9; do gzip -dc '\(Self.shopLog)'; done | head -n \(summary.lines)")
    #expect(summary.lines > 0 && summary.lines < 9 * 57_021)
    #expect(report.summary.statements == expected)
    #expect(report.input.problems["unreadable_file"] == 1)
  }

  @Test("a file that grows while it is read: the new lines are counted, a half-written last line is left out")
  func growingWhileRead() throws {
    let scratch = try TemporaryDirectory()
    let file = scratch.path("growing.log")
    try Self.bigLog(file)
    let result = try Self.interrupted(file, ["--format", "json", "--jobs", "1"]) {
      try shell(
        "gzip -dc '\(Self.shopLog)' >> '\(file)' && printf '\(Self.prefix)duration: 1.0 ms  statement: SELECT * FROM ord' >> '\(file)'"
      )
    }
    Self.expectNoCrash(result)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      result.stderr.contains("\(file):\(10 * 57_021 + 1): last line has no line end and the file grew while being read")
    )
    #expect(result.stderr.contains("file grew from"))
    let report = try result.report()
    #expect(report.summary.statements == 10 * Self.shopStatements)
    #expect(report.input.skippedLines == 1)
  }
}
