// How far each log file was read, for --state: files are known by their first bytes (after decompression), not
// by name, so that a rotated `postgresql.log.1` or `.gz` copy is recognized as the file already partly read, and
// a truncated or new file starts from the beginning.
import Fingerprint
import Foundation
import LogFormats
import LogInput

/// Where reading of one file stopped, and what the file was found to be.
public struct FilePosition: Codable, Sendable, Equatable {
  public var path: String
  /// How many leading bytes the hash covers (fewer than `ReadPositions.headBytes` while the file was short).
  public var headLength: Int
  public var headHash: String
  /// Bytes of text read, always at the end of a complete line (and record).
  public var offset: Int
  /// Lines before `offset`, so line numbers in messages stay the file's own.
  public var line: Int
  public var device: UInt64?
  public var inode: UInt64?
  /// Size on disk when it was last read (compressed size for gzip).
  public var size: Int?
  public var lastRead: String
  /// The format found in the first run, so that a few new lines need not be enough to find it again.
  public var format: String?
  public var logLinePrefix: String?

  /// Whether this is the position of the file that starts with `head`.
  func covers(_ head: [UInt8]) -> Bool {
    headLength > 0 && headLength <= head.count && headHash == ReadPositions.hash(head[..<headLength])
  }

  /// The format remembered, if it is still readable.
  public var detectedFormat: DetectedFormat? {
    guard let format = format.flatMap(LogFormat.init(rawValue:)) else { return nil }
    let prefix = logLinePrefix.flatMap { try? LinePrefix($0) }
    switch format {
    case .csvlog: return .csvlog
    case .jsonlog: return .jsonlog
    case .pgbouncer: return .pgbouncer
    case .cloudnativepg: return .cloudnativepg
    case .stderr: return prefix.map { .stderr($0) }
    case .syslog: return prefix.map { .syslog($0) }
    case .logplex: return prefix.map { .logplex($0) }
    case .cloudsql: return prefix.map { .cloudExport(.google, $0, oneALine: false) }
    case .azure: return prefix.map { .cloudExport(.azure, $0, oneALine: false) }
    }
  }

  enum CodingKeys: String, CodingKey {
    case path, headLength = "head_length", headHash = "head_hash", offset, line, device, inode, size
    case lastRead = "last_read", format, logLinePrefix = "log_line_prefix"
  }
}

/// The positions of every file read, kept for a month after each was last read.
public struct ReadPositions: Codable, Sendable {
  /// Bytes at the start of a file that identify it.
  public static let headBytes = 4096
  /// Positions not updated for this long are forgotten.
  public static let retentionSeconds: Double = 31 * 86_400

  public var files: [FilePosition] = []

  public init(_ files: [FilePosition] = []) { self.files = files }

  public init(from decoder: any Decoder) throws {
    files = try decoder.singleValueContainer().decode([FilePosition].self)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(files)
  }

  /// The hash that names a file by its first bytes.
  public static func hash(_ bytes: ArraySlice<UInt8>) -> String {
    Fingerprint.hex(Fingerprinter.fnv1a(bytes))
  }

  /// The position of the file that starts with `head`, preferring the one that covers the most of it.
  public func match(head: [UInt8]) -> FilePosition? {
    files.filter { $0.covers(head) }.max { $0.headLength < $1.headLength }
  }

  /// Replaces the positions of this file (by its head) with the new one, and forgets old ones.
  public mutating func update(_ position: FilePosition, head: [UInt8], now: Date) {
    files.removeAll { $0.covers(head) }
    files.append(position)
    let formatter = ISO8601DateFormatter()
    files.removeAll {
      guard let date = formatter.date(from: $0.lastRead) else { return false }
      return now.timeIntervalSince(date) > Self.retentionSeconds
    }
  }

  public static func position(
    path: String, head: [UInt8], offset: Int, line: Int, identity: (device: UInt64, inode: UInt64, size: Int)?,
    format: DetectedFormat?, now: Date
  ) -> FilePosition {
    let length = min(head.count, headBytes)
    return FilePosition(
      path: path, headLength: length, headHash: hash(head[..<length]), offset: offset, line: line,
      device: identity?.device, inode: identity?.inode, size: identity?.size,
      lastRead: ISO8601DateFormatter().string(from: now), format: format?.format.rawValue,
      logLinePrefix: format?.linePrefix?.text)
  }
}

/// What a run keeps across its files when it resumes (--state): the positions, and which of them this run used.
public struct ResumePoints: Sendable {
  public var positions: ReadPositions
  var consumed: Set<String> = []
  let now: Date

  public init(_ positions: ReadPositions, now: Date) {
    self.positions = positions
    self.now = now
  }

  static func key(_ position: FilePosition) -> String { position.headHash + "/" + String(position.headLength) }
}
