// --include-query and --exclude-query: statements are counted or left out by their text, before anything of
// them is counted (their calls, time, sessions and plans). Patterns are Swift regular expressions, matched
// anywhere in the statement's text as logged; `(?i)` makes one case-insensitive.
public struct StatementFilter: @unchecked Sendable {
  public let includePatterns: [String]
  public let excludePatterns: [String]
  private let include: [Regex<AnyRegexOutput>]
  private let exclude: [Regex<AnyRegexOutput>]

  public struct PatternError: Error, Sendable {
    public var pattern: String
    public var reason: String
  }

  /// Nil when there is no pattern; throws for a pattern that is not a regular expression.
  public init?(include: [String], exclude: [String]) throws(PatternError) {
    guard !include.isEmpty || !exclude.isEmpty else { return nil }
    func compile(_ pattern: String) throws(PatternError) -> Regex<AnyRegexOutput> {
      do { return try Regex(pattern) } catch { throw PatternError(pattern: pattern, reason: "\(error)") }
    }
    includePatterns = include
    excludePatterns = exclude
    var included: [Regex<AnyRegexOutput>] = []
    for pattern in include { included.append(try compile(pattern)) }
    var excluded: [Regex<AnyRegexOutput>] = []
    for pattern in exclude { excluded.append(try compile(pattern)) }
    self.include = included
    self.exclude = excluded
  }

  /// Whether a statement with this text is counted: it matches an include pattern (when there are any) and no
  /// exclude pattern.
  public func keeps(_ text: String) -> Bool {
    if !include.isEmpty && !include.contains(where: { text.contains($0) }) { return false }
    return !exclude.contains { text.contains($0) }
  }

  func keeps(_ text: UnsafeBufferPointer<UInt8>) -> Bool { keeps(String(decoding: text, as: UTF8.self)) }

  /// What it keeps and leaves out, as the report says it.
  public var description: String {
    (includePatterns.map { "query matching /\($0)/" } + excludePatterns.map { "not query matching /\($0)/" })
      .joined(separator: "; ")
  }
}
