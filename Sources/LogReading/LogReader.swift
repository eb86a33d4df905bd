// Reading the run's inputs: each file opened, told apart from the inputs before it, resumed where --state left
// it, sampled to find its format, then cut into pieces at record boundaries that go to the consumer. Problems
// are collected in each file's end, never printed.
import Foundation
import LogFormats
import LogInput

/// How the inputs are read.
public struct ReadingOptions: Sendable {
  /// The format to assume instead of detecting it (--format), and the stderr prefix (--prefix).
  public var format: LogFormat?
  public var prefix: LinePrefix?
  /// How the zones after timestamps are read (--log-timezone).
  public var zones = LogTimeZone.standard
  /// The run's clock, for syslog times that have no year.
  public var now: LogTime
  /// The size from which a piece is cut at the next record boundary. The pieces, and so the results, do not
  /// depend on how many threads parse them.
  public var pieceBytes: Int
  /// Threads the sampled lines' inference may use (--jobs).
  public var threads = 1
  /// Called now and then while reading, for a progress display.
  public var progress: (@Sendable (ProgressUpdate) -> Void)?

  public init(format: LogFormat? = nil, prefix: LinePrefix? = nil, now: LogTime, pieceBytes: Int) {
    self.format = format
    self.prefix = prefix
    self.now = now
    self.pieceBytes = max(1, pieceBytes)
  }
}

/// Reads the run's inputs, one after the other, into a consumer.
public struct LogReader {
  public let options: ReadingOptions
  /// With --state: where each file was left, updated as files are read.
  public var resume: ResumePoints?
  private var inputs = InputRegistry()

  public init(_ options: ReadingOptions, resume: ResumePoints? = nil) {
    self.options = options
    self.resume = resume
  }

  /// Reads one input (`-` is standard input): its pieces, then its end, go to `consumer`.
  public mutating func read<C: PieceConsumer>(_ path: String, ordinal: Int, into consumer: inout C) {
    let file = FileReading(path: path, options: options)
    file.read(ordinal: ordinal, inputs: &inputs, resume: &resume, into: &consumer)
    consumer.end(file.end)
  }

  /// Stretches of a plain file sampled beyond its head for detection, and lines taken from each.
  static let sampleWindows = 8
  static let linesPerWindow = 250

  /// File name endings that say a file is compressed.
  static let compressionSuffixes: [(String, Compression)] = [
    (".gz", .gzip), (".bz2", .bzip2), (".xz", .xz), (".zst", .zstd),
  ]
}
