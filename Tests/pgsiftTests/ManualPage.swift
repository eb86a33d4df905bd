// Renders man/pgsift.1 from the CLI's own definitions (`pgsift --experimental-dump-help`), so the man page
// cannot drift from --help. Regenerate with: PGSIFT_UPDATE_MAN=1 swift test --filter ManualPageTests
import Foundation
import Testing

/// The part of argument-parser's ToolInfoV0 that the man page uses.
struct ToolInfo: Decodable {
  struct Command: Decodable {
    var commandName: String
    var abstract: String?
    var discussion: String?
    var shouldDisplay: Bool?
    var subcommands: [Command]?
    var arguments: [Argument]?
    var defaultSubcommand: String?
  }
  struct Argument: Decodable {
    struct Name: Decodable {
      var kind: String
      var name: String
    }
    var kind: String
    var names: [Name]?
    var valueName: String?
    var abstract: String?
    var discussion: String?
    var defaultValue: String?
    var isOptional: Bool
    var isRepeating: Bool
    var shouldDisplay: Bool
    var allValues: [String]?
  }
  var command: Command
}

enum ManualPage {
  static func render(_ info: ToolInfo, version: String) -> String {
    let tool = info.command
    var out = ".\\\" Generated from `pgsift --experimental-dump-help` by Tests/pgsiftTests/ManualPage.swift.\n"
    out += ".\\\" Do not edit: run PGSIFT_UPDATE_MAN=1 swift test --filter ManualPageTests\n"
    out += ".TH PGSIFT 1 \"\" \"\(escape(version))\" \"User Commands\"\n"
    out += ".SH NAME\n\(tool.commandName) \\- \(escape(tool.abstract ?? ""))\n"
    out += ".SH SYNOPSIS\n"
    for sub in tool.subcommands ?? [] where sub.shouldDisplay ?? true && sub.commandName != "help" {
      out += ".B \(tool.commandName) \(sub.commandName)\n"
      out += synopsis(sub.arguments ?? []) + "\n.br\n"
    }
    out += ".SH DESCRIPTION\n" + paragraphs(tool.discussion ?? "")
    if let defaultSubcommand = tool.defaultSubcommand {
      out += ".PP\nWith no command, \\fB\(escape(defaultSubcommand))\\fR is run.\n"
    }
    out += ".SH OPTIONS\n"
    out += option(flags: "\\fB\\-\\-version\\fR", help: "Show the version.")
    out += option(flags: "\\fB\\-h\\fR, \\fB\\-\\-help\\fR", help: "Show help information.")
    for sub in tool.subcommands ?? [] where sub.shouldDisplay ?? true && sub.commandName != "help" {
      out += ".SH COMMAND: \(sub.commandName.uppercased())\n"
      out += paragraphs(sub.abstract ?? "") + paragraphs(sub.discussion ?? "")
      for argument in sub.arguments ?? [] where argument.shouldDisplay {
        if argument.names?.contains(where: { $0.name == "help" || $0.name == "version" }) == true { continue }
        var help = argument.abstract ?? ""
        if let defaultValue = argument.defaultValue { help += " (default: \(defaultValue))" }
        out += option(flags: flags(argument), help: help)
      }
    }
    out += ".SH EXIT STATUS\n" + definitions(exitStatus)
    out += ".SH ENVIRONMENT\n" + definitions(environment)
    out += ".SH FILES\n" + definitions(files)
    out += ".SH SEE ALSO\n.BR postgres (1),\n.BR pgbadger (1)\n"
    return out
  }

  // The sections --help has no place for. They name what the code does (each has a test through the CLI).
  static let exitStatus: [(String, String)] = [
    ("0", "Every input was read cleanly and every output written; for compare and --baseline, the gate passed."),
    ("1", "A usage error (an unknown option or a bad value); for compare and --baseline, a regression."),
    (
      "2",
      "The input had problems (a file that cannot be read, corrupt compressed data, lines that fit no format, "
        + "nothing countable at all, a --state file held by another run): the report is still written and counts "
        + "what was skipped. For compare, a report or budget that cannot be read, or a usage error."
    ),
    ("3", "An output (-o, --save-state, --gate-output, the --state file) could not be written; --state is kept."),
  ]

  static let environment: [(String, String)] = [
    (
      "PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE",
      "Read by libpq for --dsn, as psql reads them; prefer ~/.pgpass or PGPASSFILE to a password in the --dsn string."
    ),
    (
      "TZ",
      "The local time zone strftime patterns in -o and --save-state names are expanded in. The report's times are "
        + "in UTC, or the zone --timezone names, whatever TZ says."
    ),
    (
      "COLUMNS",
      "The width the text report fits: its query tables leave out the share, max and mean columns until they fit, "
        + "and statements are clipped to it. Without it, the terminal's width; a file or a pipe keeps every column. "
        + "The progress bar fits the terminal's width, or COLUMNS when the terminal does not say."
    ),
    (
      "NO_COLOR, TERM",
      "On a terminal the text report sets its section titles in bold, unless NO_COLOR is set or TERM is dumb."
    ),
    (
      "PGSIFT_INFLATE",
      "Set to zlib to inflate gzip with zlib. Otherwise gzip goes through Intel's ISA-L when libisal.so.2 is "
        + "installed (several times zlib's speed), and through zlib when it is not."
    ),
    (
      "GITHUB_ACTIONS, GITHUB_STEP_SUMMARY",
      "When GITHUB_ACTIONS is true, compare and --baseline write an ::error annotation per regression and append "
        + "the Markdown comparison to the file GITHUB_STEP_SUMMARY names."
    ),
  ]

  static let files: [(String, String)] = [
    ("STATE", "The --state file: how far each log file was read, replaced only after every output is written."),
    ("STATE.lock", "Held (flock) by the run that reads and replaces STATE; a second run waits up to --state-wait."),
    (
      ".NAME.pgsift-PID.tmp",
      "Beside each output while it is written, then renamed over it; one left by a run that died is removed by the "
        + "next."
    ),
    ("~/.pgpass", "libpq's password file, for --dsn."),
    ("/usr/share/zoneinfo", "The tz database --timezone and --log-timezone read zones from."),
  ]

  static func definitions(_ items: [(String, String)]) -> String {
    items.map { ".TP\n\\fB\(escape($0.0))\\fR\n\(escape($0.1))\n" }.joined()
  }

  static func synopsis(_ arguments: [ToolInfo.Argument]) -> String {
    arguments.filter { $0.shouldDisplay && $0.names?.contains { $0.name == "help" || $0.name == "version" } != true }
      .map { argument in
        var text = flags(argument)
        if argument.isRepeating { text += " ..." }
        return argument.isOptional ? "[\(text)]" : text
      }.joined(separator: " ")
  }

  static func flags(_ argument: ToolInfo.Argument) -> String {
    let value = "\\fI\(escape(argument.valueName ?? "value"))\\fR"
    guard argument.kind != "positional", let names = argument.names else { return value }
    let spelled = names.map { name in
      "\\fB" + (name.kind == "short" ? "\\-" : "\\-\\-") + name.name.replacingOccurrences(of: "-", with: "\\-") + "\\fR"
    }.joined(separator: ", ")
    return argument.kind == "flag" ? spelled : "\(spelled) \(value)"
  }

  static func option(flags: String, help: String) -> String {
    ".TP\n\(flags)\n\(escape(help))\n"
  }

  static func paragraphs(_ text: String) -> String {
    text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { ".PP\n" + escape($0) + "\n" }.joined()
  }

  static func escape(_ text: String) -> String {
    var out = text.replacingOccurrences(of: "\\", with: "\\e").replacingOccurrences(of: "-", with: "\\-")
    out = out.split(separator: "\n", omittingEmptySubsequences: false).map { line in
      line.hasPrefix(".") || line.hasPrefix("'") ? "\\&" + line : String(line)
    }.joined(separator: "\n")
    return out
  }
}

@Suite("Manual page")
struct ManualPageTests {
  @Test("man/pgsift.1 is what the CLI definitions render to")
  func inSync() throws {
    let dump = try pgsift(["--experimental-dump-help"])
    #expect(dump.status == 0)
    let info = try JSONDecoder().decode(ToolInfo.self, from: Data(dump.stdout.utf8))
    let version = try pgsift(["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let rendered = ManualPage.render(info, version: "pgsift " + version.replacingOccurrences(of: "pgsift ", with: ""))
    let path = Paths.root.appendingPathComponent("man/pgsift.1")
    if ProcessInfo.processInfo.environment["PGSIFT_UPDATE_MAN"] == "1" {
      try rendered.write(to: path, atomically: true, encoding: .utf8)
    }
    let committed = try String(contentsOf: path, encoding: .utf8)
    #expect(committed == rendered, "man/pgsift.1 is stale: run PGSIFT_UPDATE_MAN=1 swift test --filter ManualPageTests")
    // Every option of analyze is in the page.
    for option in [
      "\\-\\-log\\-format", "\\-\\-prefix", "\\-\\-threshold", "\\-\\-format", "\\-\\-output", "\\-\\-top",
    ] {
      #expect(committed.contains(option))
    }
    #expect(committed.contains("Exit status"))
    for section in [".SH EXIT STATUS", ".SH ENVIRONMENT", ".SH FILES"] { #expect(committed.contains(section)) }
  }
}
