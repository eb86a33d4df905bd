// The pgsift command: argument parsing only; the work is done by the library modules.
import ArgumentParser

@main
struct Pgsift: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pgsift",
    abstract: "Find the PostgreSQL queries that hurt, from the server's own logs.",
    discussion: """
      pgsift reads PostgreSQL server logs (stderr with any log_line_prefix, csvlog or jsonlog; plain or gzip) \
      as a stream and reports, per statement fingerprint, how often each query ran and how long it took. \
      Fingerprints are libpg_query's, so they match the pg_query ecosystem.
      """,
    version: "pgsift 0.1.0",
    subcommands: [Analyze.self],
    defaultSubcommand: Analyze.self)
}
