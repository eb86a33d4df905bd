// Tells stderr, csvlog and jsonlog apart from the first lines of a file, and finds the stderr prefix.
import LogInput

/// A format with what is needed to parse it.
public enum DetectedFormat: Sendable, Equatable, CustomStringConvertible {
  case stderr(LinePrefix)
  case csvlog
  case jsonlog
  /// Syslog lines whose text after the header starts with this prefix.
  case syslog(LinePrefix)
  /// Heroku's logplex: syslog lines with its own headers, read like syslog.
  case logplex(LinePrefix)
  /// A cloud provider's JSON export whose records hold lines that start with this prefix; `oneALine` when its
  /// records come one a line (a log sink's or a storage account's files), so that it may be cut at any line.
  case cloudExport(CloudProvider, LinePrefix, oneALine: Bool)
  case pgbouncer
  case cloudnativepg

  public var format: LogFormat {
    switch self {
    case .stderr: .stderr
    case .csvlog: .csvlog
    case .jsonlog: .jsonlog
    case .syslog: .syslog
    case .logplex: .logplex
    case .cloudExport(let provider, _, _): provider.format
    case .pgbouncer: .pgbouncer
    case .cloudnativepg: .cloudnativepg
    }
  }

  /// The log_line_prefix, for stderr and syslog.
  public var linePrefix: LinePrefix? {
    switch self {
    case .stderr(let prefix), .syslog(let prefix), .logplex(let prefix), .cloudExport(_, let prefix, _): prefix
    case .csvlog, .jsonlog, .pgbouncer, .cloudnativepg: nil
    }
  }

  public var description: String {
    switch self {
    case .stderr(let prefix): "stderr (log_line_prefix '\(prefix.text)')"
    case .csvlog: "csvlog"
    case .jsonlog: "jsonlog"
    case .syslog(let prefix): "syslog (log_line_prefix '\(prefix.text)')"
    case .logplex(let prefix): "Heroku logplex (log_line_prefix '\(prefix.text)')"
    case .cloudExport(let provider, let prefix, _): "\(provider.name) export (log_line_prefix '\(prefix.text)')"
    case .pgbouncer: "pgbouncer"
    case .cloudnativepg: "CloudNativePG"
    }
  }
}

/// A detected format, and for a format with a prefix, how the prefix was inferred (nil when it was given).
public struct Detection: Sendable, Equatable {
  public var format: DetectedFormat
  public var inference: PrefixInference?
  /// What the sample says against what the user gave: a `--prefix` most sampled lines do not match.
  public var warnings: [String] = []
}

public struct DetectionError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public var description: String { message }

  public init(message: String) { self.message = message }
}

public enum FormatDetector {
  /// How many lines are read before deciding.
  public static let sampleLines = 2000

  /// Decides the format from sampled lines. `format` and `prefix` are what the user forced, if anything.
  public static func detect(
    _ lines: [[UInt8]], format: LogFormat? = nil, prefix: LinePrefix? = nil
  )
    throws(DetectionError) -> DetectedFormat
  {
    try detection(lines, format: format, prefix: prefix).format
  }

  /// Decides the format from sampled lines, and infers the prefix from them where the format has one.
  /// `windowStarts`: where in `lines` a new stretch of the file starts, when they were sampled from several.
  /// `threads`: how many the inference of a stderr prefix may use.
  public static func detection(
    _ lines: [[UInt8]], windowStarts: [Int] = [], format: LogFormat? = nil, prefix: LinePrefix? = nil,
    threads: Int = 1
  ) throws(DetectionError) -> Detection {
    var inference: PrefixInference?
    let found = try detectFormat(
      lines, windowStarts: windowStarts, format: format, prefix: prefix, threads: threads, inference: &inference)
    var detection = Detection(format: found, inference: inference)
    if case .stderr(let given) = found, prefix != nil {
      // A prefix that reads under half of the sampled records is worth a word, with the one the lines have.
      let records = lines.filter { line in
        line.first != UInt8(ascii: "\t") && line.withUnsafeBufferPointer { PrefixDetector.markerOffset(in: $0) != nil }
      }
      let matched = records.filter { line in line.withUnsafeBufferPointer { given.match($0) != nil } }.count
      if matched * 2 < records.count, let inferred = inferPrefix(lines, windowStarts: windowStarts, threads: threads),
        inferred.prefix != given
      {
        detection.warnings.append(
          "--prefix '\(given.text)' reads \(matched) of \(records.count) sampled lines; the log's lines look like "
            + "'\(inferred.prefix.text)' (\(inferred.matchedRecords) of them): drop --prefix to have it inferred")
      }
    }
    return detection
  }

  private static func detectFormat(
    _ lines: [[UInt8]], windowStarts: [Int], format: LogFormat?, prefix: LinePrefix?, threads: Int,
    inference: inout PrefixInference?
  ) throws(DetectionError) -> DetectedFormat {
    // The format is told from the head; the stretches sampled further in help only to find a prefix.
    let head = windowStarts.min().map { Array(lines[..<$0]) } ?? lines
    let guessed = format == nil ? guessFormat(head) : nil
    // A prefix given alone means stderr, unless the lines are syslog lines.
    let wrapped: [LogFormat] = [.stderr, .csvlog, .jsonlog, .pgbouncer, .cloudnativepg]
    let chosen = format ?? (prefix != nil && wrapped.contains(guessed ?? .stderr) ? .stderr : guessed ?? .stderr)
    switch chosen {
    case .csvlog: return .csvlog
    case .jsonlog: return .jsonlog
    case .pgbouncer: return .pgbouncer
    case .cloudnativepg: return .cloudnativepg
    case .syslog, .logplex:
      let name = chosen == .logplex ? "Heroku logplex" : "syslog"
      let found = try linePrefix(
        given: prefix, detectedIn: syslogTexts(lines), "\(name) lines, but no text after their headers",
        inference: &inference)
      return chosen == .logplex ? .logplex(found) : .syslog(found)
    case .cloudsql, .azure:
      let provider: CloudProvider = chosen == .azure ? .azure : .google
      let found = try linePrefix(
        given: prefix, detectedIn: CloudExportParser.sampleTexts(head, provider: provider),
        "\(provider.name) records, but no log line in them", inference: &inference)
      return .cloudExport(provider, found, oneALine: CloudExportParser.oneALine(head))
    case .stderr:
      if let prefix { return .stderr(prefix) }
      guard let found = inferPrefix(lines, windowStarts: windowStarts, threads: threads) else {
        if looksBinary(head) { throw DetectionError(message: "binary data, not a log; every line skipped") }
        throw DetectionError(
          message: "no line looks like a PostgreSQL log record; give the format with --log-format "
            + "or the stderr prefix with --prefix")
      }
      inference = found
      return .stderr(found.readingPrefix)
    }
  }

  /// Infers the prefix of sampled lines. The older per-line reading stays as a second opinion where the
  /// inferred prefix leaves more than one sampled line in a hundred unread: it wins only where it reads more.
  public static func inferPrefix(_ lines: [[UInt8]], windowStarts: [Int] = [], threads: Int = 1) -> PrefixInference? {
    let inferred = PrefixInferrer.infer(lines, windowStarts: windowStarts, threads: threads)
    if let inferred, inferred.matchedRecords * 100 >= inferred.sampledRecords * 99 { return inferred }
    if let single = PrefixDetector.detect(lines), single.matched > (inferred?.matchedRecords ?? 0) {
      return PrefixInference(
        prefix: single.prefix, sampledRecords: inferred?.sampledRecords ?? single.sampled,
        matchedRecords: single.matched, confidence: .guessed,
        evidence: ["read from the shapes of single lines, which fit more sampled lines than the aligned reading"],
        doubts: ["the prefix was read from single lines; give --prefix to be sure"])
    }
    return inferred
  }

  /// The prefix the user gave, or the one detected in the texts a wrapping format carries (taken only when no
  /// prefix was given), or an error that says what was found instead.
  static func linePrefix(
    given: LinePrefix?, detectedIn texts: @autoclosure () -> [[UInt8]], _ what: String,
    inference: inout PrefixInference?
  ) throws(DetectionError) -> LinePrefix {
    if let given { return given }
    let texts = texts()
    guard let found = inferPrefix(texts) else {
      throw DetectionError(
        message: "\(what) looks like a PostgreSQL log record; give the log_line_prefix with --prefix")
    }
    inference = found
    return found.readingPrefix
  }

  /// The text after the syslog headers of PostgreSQL's lines, where their prefix is found or checked. Only where
  /// the text starts matters here, not the year the header's time falls in.
  static func syslogTexts(_ lines: [[UInt8]]) -> [[UInt8]] {
    lines.compactMap { line in
      line.withUnsafeBufferPointer { view in
        SyslogParser.header(view, now: LogTime(epochMs: 0)).flatMap {
          $0.otherSource == nil ? Array(view.slice(from: $0.textStart)) : nil
        }
      }
    }
  }

  /// Whether sampled lines are binary data: NUL bytes, or invalid UTF-8 in a tenth of them or more.
  static func looksBinary(_ lines: [[UInt8]]) -> Bool {
    var invalid = 0
    for line in lines {
      let (nul, valid) = line.withUnsafeBufferPointer { ($0.contains(0), $0.isValidUTF8) }
      if nul { return true }
      if !valid { invalid += 1 }
    }
    return invalid * 10 >= max(lines.count, 1)
  }

  static func guessFormat(_ lines: [[UInt8]]) -> LogFormat {
    var votes: [LogFormat: Int] = [:]
    for line in lines.prefix(200) {
      line.withUnsafeBufferPointer { view in
        guard let first = view.first else { return }
        if CloudNativePGParser.marks(view) {
          // Before jsonlog: its records hold a jsonlog-like record.
          votes[.cloudnativepg, default: 0] += 1000
        } else if let provider = CloudExportParser.provider(marking: view) {
          // Checked first: a pretty-printed export has lines that hold a stderr line and nothing else.
          votes[provider.format, default: 0] += 1000
        } else if first == UInt8(ascii: "{"), view.firstIndex(of: "\"error_severity\":", from: 0) != nil {
          votes[.jsonlog, default: 0] += 1
        } else if let stamp = LogTimestamp.parse(view, at: 0), stamp.end < view.count,
          view[stamp.end] == UInt8(ascii: ",")
        {
          votes[.csvlog, default: 0] += 1
        } else if PgBouncerParser.parse(view) != nil {
          votes[.pgbouncer, default: 0] += 1
        } else if let header = SyslogParser.header(view, now: LogTime(epochMs: 0)) {
          votes[header.heroku ? .logplex : .syslog, default: 0] += 1
        } else if PrefixDetector.markerOffset(in: view) != nil {
          votes[.stderr, default: 0] += 1
        }
      }
    }
    return votes.max { $0.value < $1.value || ($0.value == $1.value && $0.key != .stderr) }?.key ?? .stderr
  }
}
