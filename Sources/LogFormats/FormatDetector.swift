// Tells stderr, csvlog and jsonlog apart from the first lines of a file, and finds the stderr prefix.

/// A format with what is needed to parse it.
public enum DetectedFormat: Sendable, Equatable, CustomStringConvertible {
  case stderr(LinePrefix)
  case csvlog
  case jsonlog

  public var format: LogFormat {
    switch self {
    case .stderr: .stderr
    case .csvlog: .csvlog
    case .jsonlog: .jsonlog
    }
  }

  public var description: String {
    switch self {
    case .stderr(let prefix): "stderr (log_line_prefix '\(prefix.text)')"
    case .csvlog: "csvlog"
    case .jsonlog: "jsonlog"
    }
  }

  /// A parser for this format.
  public func makeParser(file: String) -> any LogParser {
    switch self {
    case .stderr(let prefix): StderrParser(prefix: prefix, file: file)
    case .csvlog: CsvlogParser(file: file)
    case .jsonlog: JsonlogParser(file: file)
    }
  }
}

public struct DetectionError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public var description: String { message }
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
    let chosen = format ?? (prefix != nil ? .stderr : guessFormat(lines))
    switch chosen {
    case .csvlog: return .csvlog
    case .jsonlog: return .jsonlog
    case .stderr:
      if let prefix { return .stderr(prefix) }
      guard let found = PrefixDetector.detect(lines) else {
        throw DetectionError(
          message: "no line looks like a PostgreSQL log record; give the format with --log-format "
            + "or the stderr prefix with --prefix")
      }
      return .stderr(found.prefix)
    }
  }

  static func guessFormat(_ lines: [[UInt8]]) -> LogFormat {
    var votes: [LogFormat: Int] = [:]
    for line in lines.prefix(200) {
      line.withUnsafeBufferPointer { view in
        guard let first = view.first else { return }
        if first == UInt8(ascii: "{"), view.firstIndex(of: "\"error_severity\":", from: 0) != nil {
          votes[.jsonlog, default: 0] += 1
        } else if let stamp = LogTimestamp.parse(view, at: 0), stamp.end < view.count,
          view[stamp.end] == UInt8(ascii: ",")
        {
          votes[.csvlog, default: 0] += 1
        } else if PrefixDetector.markerOffset(in: view) != nil {
          votes[.stderr, default: 0] += 1
        }
      }
    }
    return votes.max { $0.value < $1.value || ($0.value == $1.value && $0.key != .stderr) }?.key ?? .stderr
  }
}
