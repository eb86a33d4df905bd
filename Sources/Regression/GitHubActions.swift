// The gate where GitHub Actions shows results: an `::error` workflow command per regression (an annotation on
// the run and the pull request) and the Markdown comparison appended to the job's step summary.
public enum GitHubActions {
  /// One `::error` line per failure of each failed check, one `::warning` per caution; nothing for a pass.
  public static func annotations(_ comparison: Comparison, cautions: [String] = []) -> String {
    var out = ""
    for caution in cautions { out += "::warning title=pgsift compare::\(escapeData(caution))\n" }
    for check in comparison.checks where !check.passed {
      let title = escapeProperty("pgsift \(check.name) (\(check.limit))")
      let failures = check.failures.isEmpty ? [check.summary] : check.failures
      for failure in failures { out += "::error title=\(title)::\(escapeData(failure))\n" }
    }
    return out
  }

  /// A message, as workflow commands take it: `%`, CR and LF escaped.
  static func escapeData(_ text: String) -> String {
    text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
      .replacingOccurrences(of: "\n", with: "%0A")
  }

  /// A property value (the title): also `:` and `,`.
  static func escapeProperty(_ text: String) -> String {
    escapeData(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
  }
}
