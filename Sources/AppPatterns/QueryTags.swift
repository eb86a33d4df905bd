// The tags applications append to their statements to say which code sent them: sqlcommenter (Django's
// django-sqlcommenter, OpenTelemetry's, Rails' QueryLogs in its sqlcommenter format), `key='value'` pairs with
// URL-encoded values; Rails' QueryLogs legacy format and marginalia, `key:value` pairs; and W3C `traceparent`.
// A tag comment may sit anywhere in the statement (ORMs append it; proxies prepend). Tags never change the
// fingerprint: libpg_query and the shape lexer ignore comments.

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
  public var endpoint: String? {
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
    var i = 0
    let n = text.count
    while i + 3 < n {
      guard text[i] == UInt8(ascii: "/"), text[i + 1] == UInt8(ascii: "*") else {
        i += 1
        continue
      }
      var end = i + 2
      while end + 1 < n, !(text[end] == UInt8(ascii: "*") && text[end + 1] == UInt8(ascii: "/")) { end += 1 }
      guard end + 1 < n else { break }
      tags.pairs += pairs(String(decoding: text[(i + 2)..<end], as: UTF8.self))
      i = end + 2
    }
    return tags.pairs.isEmpty ? nil : tags
  }

  /// The pairs of one comment's body: `k='v',k2='v2'` (sqlcommenter) or `k:v,k2:v2` (QueryLogs, marginalia);
  /// none when the body is prose.
  static func pairs(_ body: String) -> [(key: String, value: String)] {
    let body = trimmed(body[...])
    var result: [(key: String, value: String)] = []
    for item in body.split(separator: ",", omittingEmptySubsequences: true) {
      let item = trimmed(item)
      if let equals = item.firstIndex(of: "="), item[item.index(after: equals)...].first == "'", item.last == "'",
        item.count >= item.distance(from: item.startIndex, to: equals) + 3
      {
        let key = String(item[..<equals])
        let quoted = item[item.index(equals, offsetBy: 2)..<item.index(before: item.endIndex)]
        guard isKey(key) else { return [] }
        result.append((percentDecoded(key), percentDecoded(String(quoted)).replacing("\\'", with: "'")))
      } else if let colon = item.firstIndex(of: ":") {
        let key = String(item[..<colon])
        let value = String(item[item.index(after: colon)...])
        guard isKey(key), !value.isEmpty, !value.contains(" ") else { return [] }
        result.append((key, value))
      } else {
        // Prose, or a hint (`/*+ IndexScan(t) */`): not tags.
        return []
      }
    }
    return result
  }

  /// Without the spaces, tabs and newlines around it.
  static func trimmed(_ text: Substring) -> Substring {
    let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" }
    let start = text.drop(while: blank)
    guard let last = start.lastIndex(where: { !blank($0) }) else { return start[start.endIndex...] }
    return start[...last]
  }

  /// A tag key: letters, digits, `_`, `.`, `-` (sqlcommenter keys are URL-encoded too).
  static func isKey(_ key: String) -> Bool {
    !key.isEmpty && key.count <= 64
      && key.unicodeScalars.allSatisfy {
        ($0.properties.isAlphabetic && $0.isASCII) || ("0"..."9").contains($0) || "_.-%".unicodeScalars.contains($0)
      }
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
