// Everything pgsift knows about one statement fingerprint.
import Fingerprint
import LogFormats

public struct QueryStats: Sendable {
  public let fingerprint: Fingerprint
  /// Why libpg_query could not parse it, when the fingerprint came from the lexer.
  public var parseError: String?
  /// Normalized text of the first statement seen (constants as `$n`).
  public var normalized: String

  /// Timed executions: `statement:` and `execute` records with a duration.
  public var calls = 0
  /// Timed executions at or over the slow threshold.
  public var slowCalls = 0
  public var totalUs: Int64 = 0
  public var minUs: Int64 = .max
  public var maxUs: Int64 = 0
  /// Time spent slow: the sum of durations at or over the threshold.
  public var slowTotalUs: Int64 = 0
  /// Extended-protocol parse and bind time, folded in here rather than counted as statements.
  public var prepareUs: Int64 = 0
  public var prepareSteps = 0
  /// Executions logged without a duration (log_statement).
  public var untimedCalls = 0
  public var distribution = DurationDistribution()
  /// Executions over time, for a sparkline.
  public var activity = CallCounts()
  public var firstSeen: LogTime?
  public var lastSeen: LogTime?
  /// Executions (timed and untimed) by interned database, user and application name.
  public var databases: [Int32: Int] = [:]
  public var users: [Int32: Int] = [:]
  public var applications: [Int32: Int] = [:]
  /// The slowest execution: its text, and its bind parameters when the log gave them.
  public var example: String?
  public var exampleParameters: String?
  public var exampleDurationUs: Int64 = -1
  /// A uniform sample of executed texts (reservoir), for the advisors to see which constants recur.
  public var samples: [String] = []
  public static let sampleLimit = 16

  public init(fingerprint: Fingerprint, normalized: String, parseError: String?) {
    self.fingerprint = fingerprint
    self.normalized = normalized
    self.parseError = parseError
  }

  public var meanUs: Double { calls > 0 ? Double(totalUs) / Double(calls) : 0 }

  /// Counts one execution; returns whether it became the example (so its parameters may follow).
  mutating func record(
    durationUs: Int64?, thresholdUs: Int64, time: LogTime?, database: Int32, user: Int32, application: Int32,
    text: ByteView, parameters: ByteView?, random: inout SplitMix64
  ) -> Bool {
    seen(at: time)
    if let time { activity.record(at: time) }
    let executions = calls + untimedCalls + 1
    if samples.count < Self.sampleLimit {
      samples.append(text.string)
    } else {
      let slot = Int(random.next() % UInt64(executions))
      if slot < Self.sampleLimit { samples[slot] = text.string }
    }
    databases[database, default: 0] += 1
    users[user, default: 0] += 1
    applications[application, default: 0] += 1
    guard let duration = durationUs else {
      untimedCalls += 1
      guard example == nil else { return false }
      example = text.string
      return true
    }
    calls += 1
    totalUs += duration
    if duration < minUs { minUs = duration }
    if duration > maxUs { maxUs = duration }
    if duration >= thresholdUs {
      slowCalls += 1
      slowTotalUs += duration
    }
    distribution.record(duration)
    guard duration > exampleDurationUs else { return false }
    exampleDurationUs = duration
    example = text.string
    exampleParameters = parameters.map(Self.parametersText)
    return true
  }

  static func parametersText(_ detail: ByteView) -> String {
    let text = detail.string
    return text.hasPrefix("parameters: ") ? String(text.dropFirst(12)) : text
  }

  mutating func seen(at time: LogTime?) {
    guard let time else { return }
    if firstSeen == nil || time < firstSeen! { firstSeen = time }
    if lastSeen == nil || time > lastSeen! { lastSeen = time }
  }
}

/// A small, fast, seeded generator: samples are the same on every run over the same input.
public struct SplitMix64: Sendable {
  private var state: UInt64
  public init(seed: UInt64) { state = seed }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
