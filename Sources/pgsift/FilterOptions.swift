// The filters of `analyze`: which records and statements count, decided while reading.
import Analysis
import ArgumentParser
import LogReading

struct FilterOptions: ParsableArguments {
  @Option(
    name: .customLong("database"),
    help: ArgumentHelp("Count only this database's records; repeatable.", valueName: "name"))
  var databases: [String] = []

  @Option(
    name: .customLong("user"), help: ArgumentHelp("Count only this user's records; repeatable.", valueName: "name"))
  var users: [String] = []

  @Option(
    name: .customLong("application"),
    help: ArgumentHelp("Count only this application_name's records; repeatable.", valueName: "name"))
  var applications: [String] = []

  @Option(
    name: .customLong("host"),
    help: ArgumentHelp("Count only records from this client host (%h or %r); repeatable.", valueName: "host"))
  var hosts: [String] = []

  @Option(
    name: .customLong("exclude-database"),
    help: ArgumentHelp("Leave out this database's records; repeatable.", valueName: "name"))
  var excludedDatabases: [String] = []

  @Option(
    name: .customLong("exclude-user"),
    help: ArgumentHelp("Leave out this user's records; repeatable.", valueName: "name"))
  var excludedUsers: [String] = []

  @Option(
    name: .customLong("exclude-application"),
    help: ArgumentHelp("Leave out this application_name's records; repeatable.", valueName: "name"))
  var excludedApplications: [String] = []

  @Option(
    name: .customLong("exclude-host"),
    help: ArgumentHelp("Leave out records from this client host; repeatable.", valueName: "host"))
  var excludedHosts: [String] = []

  @Option(
    name: .customLong("include-query"),
    help: ArgumentHelp(
      "Count only statements whose text matches this regular expression ((?i) for any case); repeatable.",
      valueName: "regex"))
  var includeQueries: [String] = []

  @Option(
    name: .customLong("exclude-query"),
    help: ArgumentHelp(
      "Leave out statements whose text matches this regular expression, e.g. '^(BEGIN|COMMIT)'; repeatable.",
      valueName: "regex"))
  var excludeQueries: [String] = []

  func validate() throws {
    do {
      _ = try StatementFilter(include: includeQueries, exclude: excludeQueries)
    } catch {
      throw ValidationError(
        "--include-query / --exclude-query: /\(error.pattern)/ is not a regular expression: \(error.reason)")
    }
  }

  var recordFilter: RecordFilter {
    var filter = RecordFilter()
    filter.databases = databases
    filter.users = users
    filter.applications = applications
    filter.hosts = hosts
    filter.excludedDatabases = excludedDatabases
    filter.excludedUsers = excludedUsers
    filter.excludedApplications = excludedApplications
    filter.excludedHosts = excludedHosts
    return filter
  }

  /// The statement filter (patterns checked by `validate`).
  var statementFilter: StatementFilter? { try? StatementFilter(include: includeQueries, exclude: excludeQueries) }
}
