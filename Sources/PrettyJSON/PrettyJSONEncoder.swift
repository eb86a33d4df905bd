// The JSON text Foundation's JSONEncoder writes with `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]`,
// byte for byte, without its tree of values: each value is written out as soon as its `encode(to:)` returns,
// and an object's members, kept as byte ranges, are put in order of their keys when it is closed.
//
// Foundation's rules, which this follows (swift-foundation's JSONWriter and JSONEncoder on Linux):
//   - two spaces an indent; `"key" : value`; members and elements each on a line of their own, `,\n` between;
//     an empty object or array is its brackets with an empty line between them;
//   - keys sorted by their UTF-8 bytes;
//   - strings escape `"`, `\`, and the control characters below 0x20 (`\b \f \n \r \t`, the others `\u00xx`),
//     and nothing else (not `/`, not what is beyond ASCII);
//   - integers in decimal; a Double or Float as its `description`, less a trailing `.0`;
//   - nil as `null`.
// What Foundation treats as a special case (Date, Data, URL, Decimal), a NaN or an infinity, a value that
// encodes nothing at all and one that writes into two kinds of container throw `PrettyJSONEncoder.Unsupported`:
// the caller uses Foundation for those.
import Foundation

public struct PrettyJSONEncoder {
  /// A value this encoder does not write as Foundation's would.
  public struct Unsupported: Error, CustomStringConvertible {
    public let description: String
  }

  public init() {}

  /// `value` as JSON text, without a final line end (as Foundation's).
  public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(1 << 16)
    try JSONValueEncoder.write(value, depth: 0, into: &out)
    return out
  }
}

/// Where a member or element is: written out already, at a range of its container's bytes, or a nested
/// container handed out (`nestedContainer`, `superEncoder`) whose contents may still change until its parent
/// is closed.
enum Part {
  case written(Range<Int>)
  case pending(JSONValueEncoder)
}

/// The encoder of one value at one depth of nesting. Its members' and elements' bytes go into `scratch`, and
/// `close` writes the value itself into its parent's bytes.
final class JSONValueEncoder: Encoder {
  let depth: Int
  var codingPath: [any CodingKey] { [] }
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  enum Storage {
    case none
    case object([(key: String, part: Part)])
    case array([Part])
    case single(Part)
  }
  var storage = Storage.none
  var scratch: [UInt8] = []

  init(depth: Int) { self.depth = depth }

  /// Writes `value`, at `depth`, onto the end of `out`.
  static func write<T: Encodable>(_ value: T, depth: Int, into out: inout [UInt8]) throws {
    if try writeScalar(value, into: &out) { return }
    let encoder = JSONValueEncoder(depth: depth)
    try value.encode(to: encoder)
    try encoder.close(into: &out)
  }

  /// Writes `value` when it is one of the standard library's scalars; false for anything else. The types are told
  /// apart by their metadata, not by `as?`: a dynamic cast for every value cost more than Foundation's whole
  /// tree of values (callgrind).
  @inline(__always)
  static func writeScalar<T: Encodable>(_ value: T, into out: inout [UInt8]) throws -> Bool {
    if T.self == String.self {
      writeString(unsafeBitCast(value, to: String.self), into: &out)
    } else if T.self == Int.self {
      out.appendDecimal(Int64(unsafeBitCast(value, to: Int.self)))
    } else if T.self == Double.self {
      try writeFloat(unsafeBitCast(value, to: Double.self), into: &out)
    } else if T.self == Bool.self {
      out.append(contentsOf: unsafeBitCast(value, to: Bool.self) ? trueBytes : falseBytes)
    } else if T.self == Int64.self {
      out.appendDecimal(unsafeBitCast(value, to: Int64.self))
    } else if T.self == Int32.self {
      out.appendDecimal(Int64(unsafeBitCast(value, to: Int32.self)))
    } else if T.self == UInt64.self {
      writeUnsigned(unsafeBitCast(value, to: UInt64.self), into: &out)
    } else if T.self == UInt32.self {
      out.appendDecimal(Int64(unsafeBitCast(value, to: UInt32.self)))
    } else if T.self == Int16.self {
      out.appendDecimal(Int64(unsafeBitCast(value, to: Int16.self)))
    } else if T.self == Int8.self {
      out.appendDecimal(Int64(unsafeBitCast(value, to: Int8.self)))
    } else if T.self == UInt.self {
      writeUnsigned(UInt64(unsafeBitCast(value, to: UInt.self)), into: &out)
    } else if T.self == UInt16.self {
      out.appendDecimal(Int64(unsafeBitCast(value, to: UInt16.self)))
    } else if T.self == UInt8.self {
      out.appendDecimal(Int64(unsafeBitCast(value, to: UInt8.self)))
    } else if T.self == Float.self {
      try writeFloat(unsafeBitCast(value, to: Float.self), into: &out)
    } else if T.self == Date.self || T.self == Data.self || T.self == URL.self || T.self == Decimal.self {
      throw PrettyJSONEncoder.Unsupported(description: "\(T.self) is written by Foundation's own rules")
    } else {
      return false
    }
    return true
  }

  static func writeUnsigned(_ value: UInt64, into out: inout [UInt8]) {
    if value > UInt64(Int64.max) { out.append(contentsOf: String(value).utf8) } else { out.appendDecimal(Int64(value)) }
  }

  static let trueBytes = Array("true".utf8)
  static let falseBytes = Array("false".utf8)
  static let nullBytes = Array("null".utf8)

  static func writeFloat<F: BinaryFloatingPoint & CustomStringConvertible>(_ value: F, into out: inout [UInt8]) throws {
    guard value.isFinite else {
      throw PrettyJSONEncoder.Unsupported(description: "\(value) is not a JSON number")
    }
    let text = value.description.utf8
    if text.count >= 2, text.suffix(2).elementsEqual(".0".utf8) {
      out.append(contentsOf: text.dropLast(2))
    } else {
      out.append(contentsOf: text)
    }
  }

  static func writeString(_ string: String, into out: inout [UInt8]) {
    var string = string
    string.withUTF8 { bytes in
      out.append(0x22)
      var mark = 0
      for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[mark..<index]))
        mark = index + 1
        out.append(0x5C)
        switch byte {
        case 0x22, 0x5C: out.append(byte)
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        default:
          let hex = Array("0123456789abcdef".utf8)
          out.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
        }
      }
      out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[mark...]))
      out.append(0x22)
    }
  }

  static let spaces = [UInt8](repeating: 0x20, count: 64)

  @inline(__always)
  static func indent(_ depth: Int, into out: inout [UInt8]) {
    var rest = 2 * depth
    while rest > 0 {
      let run = min(rest, spaces.count)
      out.append(contentsOf: spaces[..<run])
      rest -= run
    }
  }

  /// Whether `a`'s UTF-8 bytes sort before `b`'s: compared in place where both are contiguous (native strings
  /// are), which the byte-by-byte iteration of their UTF-8 views took five times as long for.
  static func precedes(_ a: String, _ b: String) -> Bool {
    let inPlace = a.utf8.withContiguousStorageIfAvailable { x in
      b.utf8.withContiguousStorageIfAvailable { y in
        let common = min(x.count, y.count)
        let order = common == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, common)
        return order != 0 ? order < 0 : x.count < y.count
      }
    }
    if let inPlace, let result = inPlace { return result }
    return a.utf8.lexicographicallyPrecedes(b.utf8)
  }

  /// Bytes appended to `scratch` by `body`, as the range they take.
  @inline(__always)
  func appending(_ body: (inout [UInt8]) throws -> Void) rethrows -> Part {
    let start = scratch.count
    try body(&scratch)
    return .written(start..<scratch.count)
  }

  /// Writes this encoder's value, which is complete now, onto the end of `out`.
  func close(into out: inout [UInt8]) throws {
    guard !mixed else {
      throw PrettyJSONEncoder.Unsupported(description: "a value written into two kinds of container")
    }
    switch storage {
    case .none:
      throw PrettyJSONEncoder.Unsupported(description: "a value that encodes nothing")
    case .single(let part):
      try write(part, into: &out)
    case .array(let parts):
      try writeLines(parts, between: 0x5B, and: 0x5D, into: &out) { try write($0, into: &$1) }
    case .object(let members):
      // In order of their keys' bytes; a key given twice keeps its last value, as in Foundation's dictionary of
      // members (the sort keeps equal keys in the order they came, and the last of each run is written).
      let order = members.indices.sorted { a, b in
        Self.precedes(members[a].key, members[b].key) || (a < b && members[a].key == members[b].key)
      }
      let kept = order.indices.lazy.filter {
        $0 + 1 == order.count || members[order[$0 + 1]].key != members[order[$0]].key
      }
      try writeLines(kept, between: 0x7B, and: 0x7D, into: &out) { place, out in
        let member = members[order[place]]
        Self.writeString(member.key, into: &out)
        out.append(contentsOf: [0x20, 0x3A, 0x20])
        try write(member.part, into: &out)
      }
    }
  }

  /// A line for each of `items` between `open` and `close`, written by `line` one indent deeper than this value,
  /// `,` between them: an array's elements or an object's members (none: an empty line between the brackets).
  @inline(__always)
  private func writeLines<Items: Sequence>(
    _ items: Items, between open: UInt8, and close: UInt8, into out: inout [UInt8],
    _ line: (Items.Element, inout [UInt8]) throws -> Void
  ) rethrows {
    out.append(open)
    out.append(0x0A)
    var first = true
    for item in items {
      if !first { out.append(contentsOf: [0x2C, 0x0A]) }
      first = false
      Self.indent(depth + 1, into: &out)
      try line(item, &out)
    }
    out.append(0x0A)
    Self.indent(depth, into: &out)
    out.append(close)
  }

  private func write(_ part: Part, into out: inout [UInt8]) throws {
    switch part {
    case .written(let range): out.append(contentsOf: scratch[range])
    case .pending(let nested): try nested.close(into: &out)
    }
  }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
    if case .none = storage { storage = .object([]) }
    return KeyedEncodingContainer(KeyedContainer<Key>(encoder: self))
  }

  func unkeyedContainer() -> any UnkeyedEncodingContainer {
    if case .none = storage { storage = .array([]) }
    return UnkeyedContainer(encoder: self)
  }

  func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(encoder: self) }

  /// A member or element came for another kind of container than the value asked for first: Foundation would
  /// stop or merge them, and `close` leaves the value to it.
  var mixed = false

  /// Adds a member to this encoder's object (taken out and put back, so that the array is never shared while
  /// it grows).
  func add(_ key: String, _ part: Part) {
    guard case .object(var members) = storage else {
      mixed = true
      return
    }
    storage = .none
    members.append((key, part))
    storage = .object(members)
  }

  func add(_ part: Part) {
    guard case .array(var parts) = storage else {
      mixed = true
      return
    }
    storage = .none
    parts.append(part)
    storage = .array(parts)
  }

  /// The value itself, from a single-value container.
  func set(_ part: Part) {
    switch storage {
    case .none, .single: storage = .single(part)
    case .object, .array: mixed = true
    }
  }

  var count: Int {
    if case .array(let parts) = storage { return parts.count }
    return 0
  }
}

struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
  let encoder: JSONValueEncoder
  var codingPath: [any CodingKey] { [] }

  mutating func encodeNil(forKey key: Key) throws {
    encoder.add(key.stringValue, encoder.appending { $0.append(contentsOf: JSONValueEncoder.nullBytes) })
  }

  mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
    let depth = encoder.depth + 1
    encoder.add(key.stringValue, try encoder.appending { try JSONValueEncoder.write(value, depth: depth, into: &$0) })
  }

  mutating func nestedContainer<NestedKey: CodingKey>(
    keyedBy keyType: NestedKey.Type, forKey key: Key
  ) -> KeyedEncodingContainer<NestedKey> {
    let nested = JSONValueEncoder(depth: encoder.depth + 1)
    encoder.add(key.stringValue, .pending(nested))
    return nested.container(keyedBy: keyType)
  }

  mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
    let nested = JSONValueEncoder(depth: encoder.depth + 1)
    encoder.add(key.stringValue, .pending(nested))
    return nested.unkeyedContainer()
  }

  mutating func superEncoder() -> any Encoder {
    let nested = JSONValueEncoder(depth: encoder.depth + 1)
    encoder.add("super", .pending(nested))
    return nested
  }

  mutating func superEncoder(forKey key: Key) -> any Encoder {
    let nested = JSONValueEncoder(depth: encoder.depth + 1)
    encoder.add(key.stringValue, .pending(nested))
    return nested
  }
}

struct UnkeyedContainer: UnkeyedEncodingContainer {
  let encoder: JSONValueEncoder
  var codingPath: [any CodingKey] { [] }
  var count: Int { encoder.count }

  mutating func encodeNil() throws {
    encoder.add(encoder.appending { $0.append(contentsOf: JSONValueEncoder.nullBytes) })
  }

  mutating func encode<T: Encodable>(_ value: T) throws {
    let depth = encoder.depth + 1
    encoder.add(try encoder.appending { try JSONValueEncoder.write(value, depth: depth, into: &$0) })
  }

  mutating func nestedContainer<NestedKey: CodingKey>(
    keyedBy keyType: NestedKey.Type
  ) -> KeyedEncodingContainer<
    NestedKey
  > {
    let nested = JSONValueEncoder(depth: encoder.depth + 1)
    encoder.add(.pending(nested))
    return nested.container(keyedBy: keyType)
  }

  mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
    let nested = JSONValueEncoder(depth: encoder.depth + 1)
    encoder.add(.pending(nested))
    return nested.unkeyedContainer()
  }

  mutating func superEncoder() -> any Encoder {
    let nested = JSONValueEncoder(depth: encoder.depth + 1)
    encoder.add(.pending(nested))
    return nested
  }
}

struct SingleContainer: SingleValueEncodingContainer {
  let encoder: JSONValueEncoder
  var codingPath: [any CodingKey] { [] }

  mutating func encodeNil() throws {
    encoder.set(encoder.appending { $0.append(contentsOf: JSONValueEncoder.nullBytes) })
  }

  mutating func encode<T: Encodable>(_ value: T) throws {
    // The value is this encoder's own: at its depth, not one deeper.
    let depth = encoder.depth
    encoder.set(try encoder.appending { try JSONValueEncoder.write(value, depth: depth, into: &$0) })
  }
}

extension [UInt8] {
  /// `value` in decimal.
  @inline(__always)
  mutating func appendDecimal(_ value: Int64) {
    if value >= 0 && value < 10 {
      append(UInt8(truncatingIfNeeded: value) &+ 0x30)
      return
    }
    if value == .min {
      append(contentsOf: String(value).utf8)
      return
    }
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
    var count = 0
    var rest = value < 0 ? UInt64(-value) : UInt64(value)
    Swift.withUnsafeMutableBytes(of: &digits) { buffer in
      repeat {
        count += 1
        buffer[24 - count] = UInt8(truncatingIfNeeded: rest % 10) &+ 0x30
        rest /= 10
      } while rest > 0
      if value < 0 { append(0x2D) }
      append(contentsOf: buffer[(24 - count)...])
    }
  }
}
