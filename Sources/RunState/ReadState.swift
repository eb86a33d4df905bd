// --state: how far each log file was read (LogReading's positions), so that a cron run reads only what is new,
// and the sessions and connections still open at the end of the run, which the next run goes on with.
import AppPatterns
import Foundation
import LogReading
import OutputFiles
import Statistics

public struct ReadState: Codable, Sendable {
  public var version = 1
  public var files = ReadPositions()
  /// Sessions open at the end of the last run (their last statement within a second of its last record): the
  /// next run goes on with them, so that a burst spanning two runs is counted once, whole, by the second.
  public var openSessions: SessionBursts.OpenSessions?
  /// Connections received and not yet authorized at the end of the last run (process → time in ms): the next
  /// run times them when their `connection authorized` comes.
  public var openConnections: [Int32: Int64]?
  /// Requests (a traceparent's statements) still going on at the end of the last run: the next run counts them,
  /// whole, when their trace goes quiet.
  public var openRequests: RequestTimes.OpenRequests?

  enum CodingKeys: String, CodingKey {
    case version, files, openSessions = "open_sessions", openConnections = "open_connections"
    case openRequests = "open_requests"
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
      state.openSessions?.isWellFormed ?? true, (state.openConnections?.count ?? 0) <= 1 << 20,
      state.openRequests?.isWellFormed ?? true
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
}
