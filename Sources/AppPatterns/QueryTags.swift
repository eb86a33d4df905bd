// The tags applications append to their statements to say which code sent them: sqlcommenter (Django's
// django-sqlcommenter, OpenTelemetry's, Rails' QueryLogs in its sqlcommenter format), `key='value'` pairs with
// URL-encoded values; Rails' QueryLogs legacy format and marginalia, `key:value` pairs; and W3C `traceparent`.
// A tag comment may sit anywhere in the statement (ORMs append it; proxies prepend). Tags never change the
// fingerprint: libpg_query and the shape lexer ignore comments.
import Glibc

/// The tags of one statement.
public struct QueryTags: Equatable, Sendable {
  /// Each tag as written, values URL-decoded (sqlcommenter), in order.
  public var pairs: [(key: String, value: String)] = []

  public static func == (a: QueryTags, b: QueryTags) -> Bool {
    a.pairs.map(\.key) == b.pairs.map(\.key) && a.pairs.map(\.value) == b.pairs.map(\.value)
  }

  public func value(_ key: String) -> String? { pairs.first { $0.key == key }?.value }

  /// Which code sent the statement, from the tags it carries: `controller#action`, a background job, the route,
  /// the controller or action alone, then the application; nil when the tags name none of them (a bare
  /// `traceparent`, a driver's name). `app` is marginalia's short form of `application`.
  public var endpoint: String? { Self.endpoint(value) }

  /// The endpoint the tags `value` gives (by key) name; the one rule both readers follow.
  static func endpoint(_ value: (String) -> String?) -> String? {
    let controller = value("controller")
    let action = value("action")
    if let controller, let action { return "\(controller)#\(action)" }
    if let job = value("job") { return job }
    if let route = value("route") ?? value("path") { return route }
    if let one = controller ?? action { return one }
    return value("application") ?? value("app") ?? value("service.name")
  }

  /// The trace id of a W3C `traceparent` (`00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`): statements with
  /// the same trace id were sent for one request.
  public var traceID: String? {
    guard let parent = value("traceparent") else { return nil }
    let parts = parent.split(separator: "-")
    guard parts.count == 4, parts[1].count == 32, parts[1].allSatisfy(\.isHexDigit) else { return nil }
    return String(parts[1])
  }

  /// The tags of the statement `text`, nil when it has no tag comment. Quick for the statements without one: a
  /// scan for `/*`.
  public static func of(_ text: UnsafeBufferPointer<UInt8>) -> QueryTags? {
    var tags = QueryTags()
    forEachComment(in: text) { tags.pairs += pairs(String(decoding: text[$0..<$1], as: UTF8.self)) }
    return tags.pairs.isEmpty ? nil : tags
  }

  /// Calls `body` with the start and end of each `/* … */` comment's body in `text`, in order; one left open is
  /// no comment. Quick when there is none: a `memchr` for `/`.
  static func forEachComment(in text: UnsafeBufferPointer<UInt8>, _ body: (Int, Int) -> Void) {
    guard let base = text.baseAddress, let slash = memchr(base, Int32(UInt8(ascii: "/")), text.count) else { return }
    var i = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(slash))
    let n = text.count
    while i + 3 < n {
      guard text[i] == UInt8(ascii: "/"), text[i + 1] == UInt8(ascii: "*") else {
        i += 1
        continue
      }
      var end = i + 2
      while end + 1 < n, !(text[end] == UInt8(ascii: "*") && text[end + 1] == UInt8(ascii: "/")) { end += 1 }
      guard end + 1 < n else { return }
      body(i + 2, end)
      i = end + 2
    }
  }

  /// The endpoint of the statement `text`, as `of(text)?.endpoint` names it, read from the bytes: the hot path's
  /// way, which makes a String only for the endpoint, and none when `cache` (by a hash of the values that name it)
  /// knows it already.
  public static func read(
    _ text: UnsafeBufferPointer<UInt8>, cache: inout [UInt64: String]
  ) -> (endpoint: String?, trace: UInt64?) {
    // Most statements have no `/` at all: no parts to make.
    guard let base = text.baseAddress, memchr(base, Int32(UInt8(ascii: "/")), text.count) != nil else {
      return (nil, nil)
    }
    var parts = EndpointParts()
    forEachComment(in: text) { parts.read(text, from: $0, to: $1) }
    let trace = parts.traceHash(text)
    guard parts.namesEndpoint else { return (nil, trace) }
    let hash = parts.hash(text)
    if let known = cache[hash] { return (known, trace) }
    let label = parts.label(text)
    if cache.count >= 4096 { cache.removeAll(keepingCapacity: true) }
    cache[hash] = label
    return (label, trace)
  }

  /// The pairs of one comment's body: `k='v',k2='v2'` (sqlcommenter) or `k:v,k2:v2` (QueryLogs, marginalia);
  /// none when the body is prose. Read as the hot path reads them (`items`).
  static func pairs(_ body: String) -> [(key: String, value: String)] {
    var bytes = Array(body.utf8)
    return bytes.withUnsafeMutableBufferPointer { buffer in
      let text = UnsafeBufferPointer(buffer)
      return (items(text, from: 0, to: text.count) ?? []).map { item in
        (percentDecoded(string(text, item.key)), value(text, item.value, quoted: item.quoted))
      }
    }
  }

  static func string(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
    String(decoding: UnsafeBufferPointer(rebasing: text[range]), as: UTF8.self)
  }

  /// A value as written: sqlcommenter's (quoted) URL-decoded, with `\'` for a quote.
  static func value(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, quoted: Bool) -> String {
    let raw = string(text, range)
    return quoted ? percentDecoded(raw).replacing("\\'", with: "'") : raw
  }

  /// The items of a comment's body, `text[start..<end]`, split at commas, each `key='value'` or `key:value`; nil
  /// when one of them is neither (prose, a hint such as `/*+ IndexScan(t) */`).
  static func items(
    _ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int
  ) -> [(key: Range<Int>, value: Range<Int>, quoted: Bool)]? {
    var found: [(key: Range<Int>, value: Range<Int>, quoted: Bool)] = []
    var item = start
    while item < end {
      var stop = item
      while stop < end, text[stop] != UInt8(ascii: ",") { stop += 1 }
      var a = item
      var b = stop
      while a < b, blank(text[a]) { a += 1 }
      while b > a, blank(text[b - 1]) { b -= 1 }
      item = stop + 1
      guard a < b else { continue }
      guard let pair = pair(text, a, b) else { return nil }
      found.append(pair)
    }
    return found
  }

  static func blank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A }

  /// `key='value'` or `key:value` in `text[a..<b]`: the key's and the value's ranges; nil when it is neither. A key
  /// is letters, digits, `_`, `.`, `-` and `%` (sqlcommenter keys are URL-encoded too), 64 at most.
  static func pair(
    _ text: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int
  ) -> (key: Range<Int>, value: Range<Int>, quoted: Bool)? {
    var k = a
    while k < b, text[k] != UInt8(ascii: "="), text[k] != UInt8(ascii: ":") { k += 1 }
    guard k < b, k > a, k - a <= 64, (a..<k).allSatisfy({ isKeyByte(text[$0]) }) else { return nil }
    if text[k] == UInt8(ascii: "="), k + 1 < b, text[k + 1] == UInt8(ascii: "'"), b - 1 > k + 1,
      text[b - 1] == UInt8(ascii: "'")
    {
      return (a..<k, (k + 2)..<(b - 1), true)
    }
    guard text[k] == UInt8(ascii: ":"), k + 1 < b, !((k + 1)..<b).contains(where: { text[$0] == 0x20 }) else {
      return nil
    }
    return (a..<k, (k + 1)..<b, false)
  }

  static func isKeyByte(_ c: UInt8) -> Bool {
    (c | 0x20) &- UInt8(ascii: "a") < 26 || c &- UInt8(ascii: "0") < 10 || c == UInt8(ascii: "_")
      || c == UInt8(ascii: ".") || c == UInt8(ascii: "-") || c == UInt8(ascii: "%")
  }

  /// `%5Eorders/%24` → `^orders/$`; a malformed escape is kept as written.
  static func percentDecoded(_ text: String) -> String {
    guard text.contains("%") else { return text }
    var bytes: [UInt8] = []
    var utf8 = Array(text.utf8)[...]
    while let byte = utf8.popFirst() {
      if byte == UInt8(ascii: "%"), utf8.count >= 2,
        let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
      {
        bytes.append(value)
        utf8 = utf8.dropFirst(2)
      } else {
        bytes.append(byte)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Whether a tag value looks like an id (a number, a UUID, a hex string of 8 or more, a traceparent): what
  /// --redact leaves out of the tags it keeps.
  public static func looksLikeID(_ value: String) -> Bool {
    let hexOrDash = value.allSatisfy { $0.isHexDigit || $0 == "-" }
    let digits = value.filter(\.isNumber).count
    return (!value.isEmpty && value.allSatisfy(\.isNumber)) || (hexOrDash && value.count >= 8 && digits > 0)
  }

  /// The statement without its tag comments (and the space before each): how a query sent from many endpoints is
  /// shown. Other comments (hints, prose) stay.
  public static func strippingTags(from sql: String) -> String {
    guard sql.contains("/*") else { return sql }
    var out = ""
    var rest = sql[...]
    while let open = rest.firstRange(of: "/*"), let close = rest[open.upperBound...].firstRange(of: "*/") {
      let body = String(rest[open.upperBound..<close.lowerBound])
      if pairs(body).isEmpty {
        out += rest[..<close.upperBound]
      } else {
        var before = rest[..<open.lowerBound]
        while before.last == " " { before = before.dropLast() }
        out += before
      }
      rest = rest[close.upperBound...]
    }
    return out + rest
  }

  /// The statement with the values of its tag comments that look like ids replaced by `?` (--redact): the keys and
  /// the names of controllers, actions and routes stay, trace ids and record ids go.
  public static func redactingIDs(in sql: String) -> String {
    guard sql.contains("/*") else { return sql }
    var out = ""
    var rest = sql[...]
    while let open = rest.firstRange(of: "/*"), let close = rest[open.upperBound...].firstRange(of: "*/") {
      out += rest[..<open.upperBound]
      let body = String(rest[open.upperBound..<close.lowerBound])
      let found = pairs(body)
      if found.isEmpty {
        out += body
      } else {
        let quoted = body.contains("='")
        out += found.map { pair in
          let value = looksLikeID(pair.value) ? "?" : pair.value
          return quoted ? "\(pair.key)='\(value)'" : "\(pair.key):\(value)"
        }.joined(separator: ",")
      }
      out += "*/"
      rest = rest[close.upperBound...]
    }
    return out + rest
  }
}

/// Where the values that name an endpoint lie in a statement's bytes (the first of each key, as `value(_:)` takes).
struct EndpointParts {
  /// controller, action, job, route (or path), application, app, service.name: start and count, or nil.
  var ranges: [Range<Int>?] = Array(repeating: nil, count: EndpointParts.keys.count)
  /// Whether each value is sqlcommenter's (quoted, URL-encoded).
  var quoted = Array(repeating: false, count: EndpointParts.keys.count)

  static let keys: [[UInt8]] = [
    "controller", "action", "job", "route", "path", "application", "app", "service.name", "traceparent",
  ].map { Array($0.utf8) }
  static let traceparent = 8

  /// Whether a value that names an endpoint was found.
  var namesEndpoint: Bool { ranges[..<Self.traceparent].contains { $0 != nil } }

  /// A hash of the trace id of a `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`), nil without a valid one.
  func traceHash(_ text: UnsafeBufferPointer<UInt8>) -> UInt64? {
    guard let range = ranges[Self.traceparent], range.count == 55, text[range.lowerBound + 2] == UInt8(ascii: "-"),
      text[range.lowerBound + 35] == UInt8(ascii: "-")
    else { return nil }
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for i in (range.lowerBound + 3)..<(range.lowerBound + 35) {
      let c = text[i] | 0x20
      guard c &- UInt8(ascii: "0") < 10 || c &- UInt8(ascii: "a") < 6 else { return nil }
      h = (h ^ UInt64(c)) &* 0x100_0000_01b3
    }
    return h
  }

  /// Reads one comment's body, `text[start..<end]`: its values if every item of it is a pair, else nothing (prose,
  /// a hint), as `QueryTags.pairs` has it.
  mutating func read(_ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) {
    for item in QueryTags.items(text, from: start, to: end) ?? [] {
      guard
        let key = Self.keys.firstIndex(where: { key in
          key.count == item.key.count && key.indices.allSatisfy { text[item.key.lowerBound + $0] == key[$0] }
        }), ranges[key] == nil
      else { continue }
      ranges[key] = item.value
      quoted[key] = item.quoted
    }
  }

  /// A hash of which values were found and their bytes.
  func hash(_ text: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for (key, range) in ranges.enumerated() where key != Self.traceparent {
      h = (h ^ UInt64(key + 1)) &* 0x100_0000_01b3
      guard let range else { continue }
      for i in range { h = (h ^ UInt64(text[i])) &* 0x100_0000_01b3 }
      h = (h ^ 0xff) &* 0x100_0000_01b3
    }
    return h
  }

  /// The endpoint these values name, by `QueryTags.endpoint`'s rule.
  func label(_ text: UnsafeBufferPointer<UInt8>) -> String? {
    QueryTags.endpoint { name in
      guard let key = Self.keys.firstIndex(of: Array(name.utf8)), let range = ranges[key] else { return nil }
      return QueryTags.value(text, range, quoted: quoted[key])
    }
  }
}
