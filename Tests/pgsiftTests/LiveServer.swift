// A throw-away PostgreSQL 15 server for the tests that need one: its own data directory and socket in a temp
// folder, run as the `postgres` user when the tests run as root. Tests using it are skipped, with a message,
// when the server binaries or HypoPG are not installed (scripts/test installs them).
import Foundation
import Testing

final class LiveServer {
  static let bin = "/usr/lib/postgresql/15/bin"
  static let hypoPGControl = "/usr/share/postgresql/15/extension/hypopg.control"

  static var available: Bool {
    FileManager.default.isExecutableFile(atPath: bin + "/initdb")
      && FileManager.default.fileExists(atPath: hypoPGControl)
      && FileManager.default.isExecutableFile(atPath: "/usr/bin/psql")
  }

  let directory: String
  let port: Int
  private let asPostgres: Bool

  /// Starts a server and creates `databases`, each with its setup scripts run in order. A database whose scripts
  /// start with another's all is made from that one as a template and given only the rest: the schema and data
  /// are loaded once.
  init(databases: [String: [String]]) throws {
    asPostgres = getuid() == 0
    directory = "/tmp/pgsift-pg-\(UUID().uuidString.prefix(8))"
    port = 20_000 + Int.random(in: 0..<20_000)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    if asPostgres { try shell("chown postgres '\(directory)'") }
    try serverCommand("'\(Self.bin)/initdb' -D '\(directory)/data' -U postgres -A trust >/dev/null")
    try serverCommand(
      "'\(Self.bin)/pg_ctl' -D '\(directory)/data' -w -l '\(directory)/server.log' -o \"-c listen_addresses='' "
        + "-c unix_socket_directories='\(directory)' -c port=\(port) -c fsync=off\" start >/dev/null")
    var made: [(name: String, scripts: [String])] = []
    for (database, scripts) in databases.sorted(by: { ($0.value.count, $0.key) < ($1.value.count, $1.key) }) {
      let template = made.last { !$0.scripts.isEmpty && scripts.starts(with: $0.scripts) }
      try psql("postgres", "CREATE DATABASE \(database)" + (template.map { " TEMPLATE \($0.name)" } ?? ""))
      made.append((database, scripts))
      for script in scripts.dropFirst(template?.scripts.count ?? 0) {
        try shell("psql -X -q -h '\(directory)' -p \(port) -U postgres -d \(database) -f '\(script)' >/dev/null 2>&1")
      }
    }
  }

  deinit {
    _ = try? serverCommand("'\(Self.bin)/pg_ctl' -D '\(directory)/data' -m immediate stop >/dev/null 2>&1")
    try? FileManager.default.removeItem(atPath: directory)
  }

  func dsn(_ database: String) -> String { "host=\(directory) port=\(port) dbname=\(database) user=postgres" }

  @discardableResult
  func psql(_ database: String, _ sql: String) throws -> String {
    let result = try run(
      "/usr/bin/psql",
      ["-X", "-A", "-t", "-h", directory, "-p", String(port), "-U", "postgres", "-d", database, "-c", sql])
    if result.status != 0 { throw DatabaseFailure(message: result.stderr) }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  struct DatabaseFailure: Error { var message: String }

  /// Runs a command that may leave a daemon behind (pg_ctl start). Foundation's Process waits for every
  /// inherited descriptor to close, which a daemon never does, so this goes through system(3), which waits for
  /// the shell alone, after closing every descriptor above stderr.
  private func serverCommand(_ command: String) throws {
    let user =
      asPostgres ? "su postgres -s /bin/sh -c \"\(command.replacingOccurrences(of: "\"", with: "\\\""))\"" : command
    let script = """
      for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"; done
      \(user)

      """
    let file = directory + "/command.sh"
    try script.write(toFile: file, atomically: true, encoding: .utf8)
    let status = system("/bin/bash '\(file)'")
    if status != 0 { throw DatabaseFailure(message: "command failed (\(status)): \(command)") }
  }
}
