// What reading one file found: its format, how much was read and parsed, and what was left out. Reports show
// it, saved runs keep it, `merge` tells by `head_hash` whether two parts cover the same bytes.
import LogFormats
import LogInput
import NullCoding

public struct FileSummary: Codable, Sendable {
  public var path: String
  /// The format it was read as; null when the file could not be read at all.
  @WritesNull public var format: LogFormat? = nil
  @WritesNull public var logLinePrefix: String? = nil
  public var compressed: Bool
  /// `gzip`, `bzip2`, `xz` or `zstd` (found by magic bytes); null for plain text (schema version 3).
  @WritesNull public var compression: Compression? = nil
  public var bytes: Int
  public var lines: Int
  public var entries: Int
  public var skippedLines: Int
  public var blankLines: Int
  public var invalidUTF8Lines: Int
  /// Why reading stopped early, if it did.
  @WritesNull public var error: String? = nil
  /// With --state: where reading started (bytes of text already read by earlier runs) and the line before it.
  public var resumedAt: Int = 0
  public var resumedLine: Int = 0
  /// Records outside --since/--until, passed over.
  public var outsideWindow: Int = 0
  /// Records the record filters (--database, --exclude-user, …) left out.
  public var filteredRecords: Int = 0
  /// How the prefix was inferred, when it was (null when --prefix gave it, or for formats without one).
  @WritesNull public var prefixInference: PrefixInferenceReport? = nil
  /// Lines other programs wrote into the same file (syslog's other daemons, Heroku's other sources,
  /// CloudNativePG's other loggers), passed over; and how many each wrote (the first 16 programs).
  public var otherProgramLines: Int = 0
  public var otherPrograms: [NameCount] = []
  /// A hash of the first bytes of the file's text (and how many), which tell the file wherever it is: `merge`
  /// refuses parts that cover the same bytes of one file.
  @WritesNull public var headHash: String? = nil
  public var headLength: Int = 0
  /// When the input is the same file as an earlier one, or a copy of it, which it is: it was read once.
  @WritesNull public var duplicateOf: String? = nil
  /// Where more than one reading of the prefix read records (an alternate, or a prefix inferred from lines the
  /// first did not read): each reading with the records it read, most first.
  public var prefixReadings: [NameCount] = []

  public init(
    path: String, format: LogFormat?, logLinePrefix: String?, compressed: Bool, bytes: Int, lines: Int, entries: Int,
    skippedLines: Int, blankLines: Int, invalidUTF8Lines: Int, error: String?
  ) {
    self.path = path
    self.format = format
    self.logLinePrefix = logLinePrefix
    self.compressed = compressed
    self.bytes = bytes
    self.lines = lines
    self.entries = entries
    self.skippedLines = skippedLines
    self.blankLines = blankLines
    self.invalidUTF8Lines = invalidUTF8Lines
    self.error = error
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    path = try c.decode(String.self, forKey: .path)
    format = try c.decodeIfPresent(LogFormat.self, forKey: .format)
    logLinePrefix = try c.decodeIfPresent(String.self, forKey: .logLinePrefix)
    compressed = try c.decode(Bool.self, forKey: .compressed)
    compression = try c.decodeIfPresent(Compression.self, forKey: .compression) ?? (compressed ? .gzip : nil)
    bytes = try c.decode(Int.self, forKey: .bytes)
    lines = try c.decode(Int.self, forKey: .lines)
    entries = try c.decode(Int.self, forKey: .entries)
    skippedLines = try c.decode(Int.self, forKey: .skippedLines)
    blankLines = try c.decode(Int.self, forKey: .blankLines)
    invalidUTF8Lines = try c.decode(Int.self, forKey: .invalidUTF8Lines)
    error = try c.decodeIfPresent(String.self, forKey: .error)
    resumedAt = try c.decodeIfPresent(Int.self, forKey: .resumedAt) ?? 0
    resumedLine = try c.decodeIfPresent(Int.self, forKey: .resumedLine) ?? 0
    outsideWindow = try c.decodeIfPresent(Int.self, forKey: .outsideWindow) ?? 0
    filteredRecords = try c.decodeIfPresent(Int.self, forKey: .filteredRecords) ?? 0
    prefixInference = try c.decodeIfPresent(PrefixInferenceReport.self, forKey: .prefixInference)
    otherProgramLines = try c.decodeIfPresent(Int.self, forKey: .otherProgramLines) ?? 0
    otherPrograms = try c.decodeIfPresent([NameCount].self, forKey: .otherPrograms) ?? []
    prefixReadings = try c.decodeIfPresent([NameCount].self, forKey: .prefixReadings) ?? []
    headHash = try c.decodeIfPresent(String.self, forKey: .headHash)
    headLength = try c.decodeIfPresent(Int.self, forKey: .headLength) ?? 0
    duplicateOf = try c.decodeIfPresent(String.self, forKey: .duplicateOf)
  }

  enum CodingKeys: String, CodingKey {
    case path, format, logLinePrefix = "log_line_prefix", compressed, compression, bytes, lines, entries
    case skippedLines = "skipped_lines", blankLines = "blank_lines", invalidUTF8Lines = "invalid_utf8_lines", error
    case resumedAt = "resumed_at", resumedLine = "resumed_line", outsideWindow = "outside_window"
    case filteredRecords = "filtered_records"
    case prefixInference = "prefix_inference", otherProgramLines = "other_program_lines"
    case otherPrograms = "other_programs", prefixReadings = "prefix_readings", headHash = "head_hash"
    case headLength = "head_length", duplicateOf = "duplicate_of"
  }
}

/// How a file's `log_line_prefix` was inferred, and how sure pgsift is of it.
public struct PrefixInferenceReport: Codable, Sendable, Equatable {
  /// `certain` (every field named by evidence in the log), `likely` (some by shape, label or convention), or
  /// `guessed` (some by place only, or many sampled lines left unread).
  public var confidence: String
  /// Sampled lines with a severity marker, and how many of them the prefix reads.
  public var sampledRecords: Int
  public var matchedRecords: Int
  /// What chose each field, a sentence each.
  public var evidence: [String]
  /// Where the evidence was thin or two readings tie.
  public var doubts: [String]
  /// Other readings tried on lines the prefix does not match.
  public var alternates: [String]

  public init(
    confidence: String, sampledRecords: Int, matchedRecords: Int, evidence: [String], doubts: [String],
    alternates: [String]
  ) {
    self.confidence = confidence
    self.sampledRecords = sampledRecords
    self.matchedRecords = matchedRecords
    self.evidence = evidence
    self.doubts = doubts
    self.alternates = alternates
  }

  /// The report of how detection read the prefix.
  public init(_ inference: PrefixInference) {
    self.init(
      confidence: inference.confidence.rawValue, sampledRecords: inference.sampledRecords,
      matchedRecords: inference.matchedRecords, evidence: inference.evidence, doubts: inference.doubts,
      alternates: inference.alternates.map(\.text))
  }

  enum CodingKeys: String, CodingKey {
    case confidence, sampledRecords = "sampled_records", matchedRecords = "matched_records", evidence, doubts
    case alternates
  }
}

/// A name and how often it was seen.
public struct NameCount: Codable, Sendable, Equatable {
  public var name: String
  public var calls: Int
  public init(name: String, calls: Int) {
    self.name = name
    self.calls = calls
  }
}

extension NameCount {
  /// Counts by name as a list, most first, ties by name.
  public static func mostFirst(_ counts: [String: Int]) -> [NameCount] {
    counts.map { NameCount(name: $0.key, calls: $0.value) }.sorted { ($0.calls, $1.name) > ($1.calls, $0.name) }
  }
}
