// Server activity kept by the statement it came with (a lock wait's, a temporary file's): by the statement's
// fingerprint, or nil for activity logged without its statement. Saved runs write it as an object keyed by the
// fingerprint's hex digits ("" for none), as they always have.
import Fingerprint

@propertyWrapper
public struct ByStatement<Value: Codable & Sendable>: Codable, Sendable {
  public var wrappedValue: [Fingerprint?: Value]

  public init(wrappedValue: [Fingerprint?: Value]) { self.wrappedValue = wrappedValue }

  public init(from decoder: any Decoder) throws {
    var values: [Fingerprint?: Value] = [:]
    for (key, value) in try [String: Value](from: decoder) {
      if key.isEmpty {
        values[nil] = value
      } else if let fingerprint = Fingerprint(hex: key) {
        values[fingerprint] = value
      } else {
        throw DecodingError.dataCorrupted(
          DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "'\(key)' is not a fingerprint"))
      }
    }
    wrappedValue = values
  }

  public func encode(to encoder: any Encoder) throws {
    try [String: Value](wrappedValue.map { ($0.key?.hex ?? "", $0.value) }, uniquingKeysWith: { first, _ in first })
      .encode(to: encoder)
  }
}
