// A JSON value read whole, for the cloud providers' log exports, whose records nest objects (`resource`,
// `properties`) and arrays (`records`). jsonlog's flat objects are read by `JSONObjectReader` without building
// values; these nest, and only the members pgsift reads are built (see `parse(_:keeping:depthLimit:)`).
import LogInput

enum JSONValue {
  case string([UInt8])
  /// A number, `true`, `false` or `null`, as written.
  case scalar([UInt8])
  case array([JSONValue])
  /// Members in the order written.
  case object([(key: [UInt8], value: JSONValue)])

  /// The member named `key` of an object.
  subscript(_ key: StaticString) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    let name = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
    return members.first { $0.key.elementsEqual(name) }?.value
  }

  /// The bytes of a string, or of a number as written (`processId` is a number in some exports, a string in
  /// others).
  var bytes: [UInt8]? {
    switch self {
    case .string(let b), .scalar(let b): b
    default: nil
    }
  }

  /// Reads one value that fills `text` (white space around it allowed). With `keeping`, only object members whose
  /// names it accepts are kept, at any depth; the others are checked and passed over without being built.
  static func parse(
    _ text: ByteView, keeping: (([UInt8]) -> Bool)? = nil, depthLimit: Int = 64
  ) throws(JSONSyntaxError) -> JSONValue {
    var reader = JSONValueReader(text: text, depthLimit: depthLimit)
    reader.keeping = keeping
    reader.skipSpace()
    let value = try reader.value(depth: 0)
    reader.skipSpace()
    guard reader.i == text.count else { throw JSONSyntaxError(reason: "text after the value", column: reader.i + 1) }
    return value
  }
}

struct JSONValueReader {
  let text: ByteView
  let depthLimit: Int
  var keeping: (([UInt8]) -> Bool)?
  var i = 0

  init(text: ByteView, depthLimit: Int) {
    self.text = text
    self.depthLimit = depthLimit
  }

  mutating func skipSpace() {
    while i < text.count, text[i] == 0x20 || text[i] == 0x0A || text[i] == 0x0D || text[i] == 0x09 { i += 1 }
  }

  mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    guard i < text.count else { throw JSONSyntaxError(reason: "missing value", column: i + 1) }
    switch text[i] {
    case UInt8(ascii: "\""):
      var bytes: [UInt8] = []
      try string(into: &bytes)
      return .string(bytes)
    case UInt8(ascii: "{"), UInt8(ascii: "["):
      guard depth < depthLimit else {
        throw JSONSyntaxError(reason: "nested deeper than \(depthLimit)", column: i + 1)
      }
      let isObject = text[i] == UInt8(ascii: "{")
      let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
      i += 1
      var members: [(key: [UInt8], value: JSONValue)] = []
      var elements: [JSONValue] = []
      skipSpace()
      if i < text.count, text[i] == close {
        i += 1
        return isObject ? .object([]) : .array([])
      }
      while true {
        skipSpace()
        if isObject {
          var key: [UInt8] = []
          guard i < text.count, text[i] == UInt8(ascii: "\"") else {
            throw JSONSyntaxError(reason: "expected a member name", column: i + 1)
          }
          try string(into: &key)
          skipSpace()
          guard i < text.count, text[i] == UInt8(ascii: ":") else {
            throw JSONSyntaxError(reason: "expected :", column: i + 1)
          }
          i += 1
          skipSpace()
          if let keeping, !keeping(key) {
            try skip(depth: depth + 1)
          } else {
            members.append((key, try value(depth: depth + 1)))
          }
        } else {
          elements.append(try value(depth: depth + 1))
        }
        skipSpace()
        guard i < text.count else {
          throw JSONSyntaxError(reason: isObject ? "object not closed" : "array not closed", column: i + 1)
        }
        let b = text[i]
        i += 1
        if b == UInt8(ascii: ",") { continue }
        if b == close { return isObject ? .object(members) : .array(elements) }
        throw JSONSyntaxError(reason: isObject ? "expected , or }" : "expected , or ]", column: i)
      }
    default:
      let start = i
      while i < text.count,
        text[i] &- UInt8(ascii: "a") < 26 || text[i] &- UInt8(ascii: "0") < 10
          || text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: ".")
          || text[i] == UInt8(ascii: "E")
      {
        i += 1
      }
      guard i > start else { throw JSONSyntaxError(reason: "unexpected character", column: i + 1) }
      return .scalar(Array(text.slice(start, i)))
    }
  }

  /// Passes over a value, checking its syntax, without building it.
  mutating func skip(depth: Int) throws(JSONSyntaxError) {
    guard i < text.count else { throw JSONSyntaxError(reason: "missing value", column: i + 1) }
    switch text[i] {
    case UInt8(ascii: "\""):
      i += 1
      while true {
        guard let quote = text.firstIndex(of: UInt8(ascii: "\""), from: i) else {
          throw JSONSyntaxError(reason: "string not closed", column: text.count + 1)
        }
        var backslashes = 0
        while quote - backslashes > i, text[quote - backslashes - 1] == UInt8(ascii: "\\") { backslashes += 1 }
        i = quote + 1
        if backslashes % 2 == 0 { return }
      }
    default:
      // Objects and arrays are read with the same filter, so only their kept members are built; scalars are
      // small.
      _ = try value(depth: depth)
    }
  }

  /// Reads a string at `i` (its opening quote), appending its unescaped UTF-8 to `out`.
  mutating func string(into out: inout [UInt8]) throws(JSONSyntaxError) {
    var reader = JSONObjectReader(line: text)
    reader.i = i
    _ = try reader.readString(into: &out)
    i = reader.i
  }
}
