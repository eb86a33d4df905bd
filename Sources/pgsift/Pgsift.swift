// The pgsift command: argument parsing only; the work is done by the library modules.
import Analysis
import ArgumentParser
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

@main
struct Pgsift: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pgsift",
    abstract: "Find the PostgreSQL queries that hurt, from the server's own logs.",
    discussion: """
      pgsift reads PostgreSQL server logs as a stream (stderr with any log_line_prefix, inferred from the log \
      itself; csvlog, jsonlog, syslog, Heroku's logplex, Google Cloud SQL and Azure exports, CloudNativePG, \
      PgBouncer; plain, gzip, bzip2, xz or zstd) and reports, per statement fingerprint, how often each query \
      ran and how long it took. Fingerprints are libpg_query's, so they match the pg_query ecosystem.

      Examples: `pgsift postgresql.log` prints a text report; `pgsift analyze --format json -o day.json \
      /var/log/postgresql/*.log.gz` writes the JSON report (schema in docs/json-schema.md); \
      `zcat old.log.gz | pgsift analyze -` reads standard input.
      """,
    version: "pgsift \(Analyzer.version)",
    subcommands: [Analyze.self, Compare.self, Merge.self],
    defaultSubcommand: Analyze.self)

  /// Like the default entry point, but usage errors exit with status 1 (argument-parser's default is 64),
  /// keeping 2 for input problems as the man page says; for `compare`, whose 1 means a regression, they exit 2.
  static func main() {
    // compare keeps 1 for "regression", so its usage errors are bad input (2).
    let usageStatus: Int32 = CommandLine.arguments.dropFirst().first == "compare" ? 2 : 1
    #if canImport(Glibc)
      // glibc keeps up to 32 MiB freed at the top of each heap by default, and the parsing threads' heaps grow
      // and shrink with every piece: handing back what passes 1 MiB keeps a 2 GB run's peak under 64 MiB
      // (67 MiB without it, bench/RESULTS.md). Setting it also fixes glibc's mapping threshold, at 128 KiB unless
      // set too: then each piece's session steps (arrays of 180 and 360 KiB) were mapped afresh and faulted in
      // page by page: 76,000 to 93,000 page faults on an 800 MB log. At 512 KiB they come from the heap, and the
      // piece buffers, which are larger, are reused (PieceSpares): 8,700 to 14,000 faults, and 0.16 to 0.49 s in
      // the kernel instead of 0.59 to 0.84 s (bench/RESULTS.md).
      // mallopt is in malloc.h, which Swift's Glibc module leaves out; M_TRIM_THRESHOLD is -1 there, and
      // M_MMAP_THRESHOLD -3.
      typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
      if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(-1, 1 << 20)
        _ = mallopt(-3, 512 << 10)
      }
    #endif
    do {
      var command = try analyzeNamed() ?? parseAsRoot()
      try command.run()
    } catch Compare.Failure.badInput(let message) {
      var standardError = StandardError()
      print("pgsift: \(message)", to: &standardError)
      Foundation.exit(2)
    } catch {
      if exitCode(for: error) == .validationFailure {
        var standardError = StandardError()
        print(fullMessage(for: error), to: &standardError)
        Foundation.exit(usageStatus)
      }
      exit(withError: error)
    }
  }
}

extension Pgsift {
  /// `pgsift analyze …` read as analyze's own arguments, when they read as a run of it: the root's parse builds
  /// analyze's set of some sixty options by reflection several times over while it looks for the subcommand
  /// (40 M instructions before any work, callgrind; 26 M this way), a cost every cron and CI run pays. Anything
  /// else is parsed from the root as before: a usage error, which then gets the root's message and status, and
  /// a request for help, which analyze's own parse answers with a help command of its own (without the root's
  /// name and `--version`), not an `Analyze`.
  static func analyzeNamed() -> Analyze? {
    let arguments = CommandLine.arguments.dropFirst()
    guard arguments.first == "analyze" else { return nil }
    return (try? Analyze.parseAsRoot(Array(arguments.dropFirst()))) as? Analyze
  }
}

struct StandardError: TextOutputStream {
  mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}
