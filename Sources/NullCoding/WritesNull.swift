// Optional fields that JSON writes as `null` rather than leaving out, so that every record of a report has the
// same keys whatever it holds (the JSON Schema requires them). Synthesized `Codable` leaves a nil optional out;
// `@WritesNull` on the property makes it write the key with null, and read a missing key or null as nil, with
// no hand-written `encode(to:)`.

@propertyWrapper
public struct WritesNull<Value: Codable>: Codable {
  public var wrappedValue: Value?

  public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    wrappedValue = c.decodeNil() ? nil : try c.decode(Value.self)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    if let wrappedValue { try c.encode(wrappedValue) } else { try c.encodeNil() }
  }
}

extension WritesNull: Sendable where Value: Sendable {}
extension WritesNull: Equatable where Value: Equatable {}

extension KeyedDecodingContainer {
  /// A missing key reads as nil, as for a plain optional.
  public func decode<Value>(_ type: WritesNull<Value>.Type, forKey key: Key) throws -> WritesNull<Value> {
    WritesNull(wrappedValue: try decodeIfPresent(Value.self, forKey: key))
  }
}
