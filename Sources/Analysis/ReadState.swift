// --state: how far each log file was read, so that a cron run reads only what is new. Files are known by
// their first bytes (after decompression), not by name: a rotated `postgresql.log.1` or `.gz` copy is
// recognized as the file already partly read, and a truncated or new file starts from the beginning.
import AppPatterns
import Fingerprint
import Foundation
import LogFormats
import OutputFiles

public struct ReadState: Codable, Sendable {
  /// Bytes at the start of a file that identify it.
  public static let headBytes = 4096
  /// Records not seen for this long are forgotten.
  public static let retentionSeconds: Double = 31 * 86_400

  public var version = 1
  public var files: [Record] = []
  /// Sessions open at the end of the last run (their last statement within a second of its last record): the
  /// next run goes on with them, so that a burst spanning two runs is counted once, whole, by the second.
  public var openSessions: SessionBursts.OpenSessions?
  /// Connections received and not yet authorized at the end of the last run (process → time in ms): the next
  /// run times them when their `connection authorized` comes.
  public var openConnections: [Int32: Int64]?

  enum CodingKeys: String, CodingKey {
    case version, files, openSessions = "open_sessions", openConnections = "open_connections"
  }

  public struct Record: Codable, Sendable, Equatable {
    public var path: String
    /// How many leading bytes the hash covers (fewer than `headBytes` while the file was short).
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

    /// Whether this record is of the file that starts with `head`.
    func covers(_ head: [UInt8]) -> Bool {
      headLength > 0 && headLength <= head.count && headHash == ReadState.hash(head[..<headLength])
    }

    enum CodingKeys: String, CodingKey {
      case path, headLength = "head_length", headHash = "head_hash", offset, line, device, inode, size
      case lastRead = "last_read", format, logLinePrefix = "log_line_prefix"
    }
  }

  public struct StateError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
  }

  public init() {}

  /// Reads a state file; a missing file is an empty state, a damaged one an error (rather than reading twice).
  public static func load(_ path: String) throws(StateError) -> ReadState {
    guard FileManager.default.fileExists(atPath: path) else { return ReadState() }
    guard let data = FileManager.default.contents(atPath: path),
      let state = try? JSONDecoder().decode(ReadState.self, from: data), state.version == 1,
      state.openSessions?.isWellFormed ?? true, (state.openConnections?.count ?? 0) <= 1 << 20
    else {
      throw StateError(message: "\(path): the state file is damaged; fix or delete it (deleting reads every log again)")
    }
    return state
  }

  /// Writes the state durably: a temporary file in the same folder, synced, then a rename (the old state stays
  /// whole until the new one is on disk).
  public func save(_ path: String) throws(StateError) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data: Data
    do {
      data = try encoder.encode(self)
    } catch {
      throw StateError(message: "\(path): cannot write the state file: \(error.localizedDescription)")
    }
    do {
      try DurableFile.write([UInt8](data), to: path)
    } catch {
      throw StateError(message: "\(error.description) (the state file)")
    }
  }

  static func hash(_ bytes: ArraySlice<UInt8>) -> String {
    let digits = String(Fingerprinter.fnv1a(bytes), radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }

  /// The record of the file that starts with `head`, preferring the one that covers the most of it.
  public func match(head: [UInt8]) -> Record? {
    files.filter {
      $0.covers(head)
    }
    .max { $0.headLength < $1.headLength }
  }

  /// Replaces the records of this file (by its head) with the new one, and forgets old records.
  public mutating func update(_ record: Record, head: [UInt8], now: Date) {
    files.removeAll { $0.covers(head) }
    files.append(record)
    let formatter = ISO8601DateFormatter()
    files.removeAll {
      guard let date = formatter.date(from: $0.lastRead) else { return false }
      return now.timeIntervalSince(date) > Self.retentionSeconds
    }
  }

  public static func record(
    path: String, head: [UInt8], offset: Int, line: Int, identity: (device: UInt64, inode: UInt64, size: Int)?,
    format: DetectedFormat?, now: Date
  ) -> Record {
    let length = min(head.count, headBytes)
    var prefix: String?
    prefix = format?.linePrefix?.text
    return Record(
      path: path, headLength: length, headHash: hash(head[..<length]), offset: offset, line: line,
      device: identity?.device, inode: identity?.inode, size: identity?.size,
      lastRead: ISO8601DateFormatter().string(from: now),
      format: format?.format.rawValue, logLinePrefix: prefix)
  }

  /// The format a record remembers, if it is still readable.
  public static func format(of record: Record) -> DetectedFormat? {
    switch record.format {
    case "csvlog"?: return .csvlog
    case "jsonlog"?: return .jsonlog
    case "pgbouncer"?: return .pgbouncer
    case "cloudnativepg"?: return .cloudnativepg
    case "stderr"?: return record.logLinePrefix.flatMap { try? LinePrefix($0) }.map { .stderr($0) }
    case "syslog"?: return record.logLinePrefix.flatMap { try? LinePrefix($0) }.map { .syslog($0) }
    case "logplex"?: return record.logLinePrefix.flatMap { try? LinePrefix($0) }.map { .logplex($0) }
    case "cloudsql"?:
      return record.logLinePrefix.flatMap { try? LinePrefix($0) }.map { .cloudExport(.google, $0, oneALine: false) }
    case "azure"?:
      return record.logLinePrefix.flatMap { try? LinePrefix($0) }.map { .cloudExport(.azure, $0, oneALine: false) }
    default: return nil
    }
  }
}
