// A query's calls, time and slow calls by the endpoint that sent them (the view, controller action, job or route
// its tags name; see AppPatterns' QueryTags). A query is sent from few places: past `limit` endpoints the rest
// are counted together, so that memory stays bounded whatever the tags hold.
import AppPatterns

public struct EndpointTimes: Sendable, Codable, Equatable {
  public typealias Times = CallTimes

  /// Endpoints kept apart per query.
  public static let limit = 32

  public private(set) var byEndpoint: [String: Times] = [:]
  /// Calls from endpoints past the limit.
  public private(set) var others = Times()

  public init() {}

  mutating func add(_ endpoint: String, _ times: Times) {
    if byEndpoint[endpoint] != nil || byEndpoint.count < Self.limit {
      byEndpoint[endpoint, default: Times()].add(times)
    } else {
      others.add(times)
    }
  }

  mutating func add(_ other: EndpointTimes) {
    for (endpoint, times) in other.byEndpoint.sorted(by: { $0.key < $1.key }) { add(endpoint, times) }
    others.add(other.others)
  }

  /// The endpoints renamed (--redact); two that become one are added together.
  mutating func rename(_ name: (String) -> String) {
    var renamed = EndpointTimes()
    renamed.others = others
    for (endpoint, times) in byEndpoint.sorted(by: { $0.key < $1.key }) { renamed.add(name(endpoint), times) }
    self = renamed
  }

  enum CodingKeys: String, CodingKey { case byEndpoint = "by_endpoint", others }
}

/// Timed calls, their time, and the slow ones among them.
public struct CallTimes: Sendable, Codable, Equatable {
  public var calls = 0
  public var totalUs: Int64 = 0
  public var slowCalls = 0
  public var slowUs: Int64 = 0

  mutating func add(_ other: CallTimes) {
    calls += other.calls
    totalUs += other.totalUs
    slowCalls += other.slowCalls
    slowUs += other.slowUs
  }

  init(durationUs: Int64, slow: Bool) {
    calls = 1
    totalUs = durationUs
    slowCalls = slow ? 1 : 0
    slowUs = slow ? durationUs : 0
  }

  public init() {}

  enum CodingKeys: String, CodingKey {
    case calls, totalUs = "total_us", slowCalls = "slow_calls", slowUs = "slow_us"
  }
}
