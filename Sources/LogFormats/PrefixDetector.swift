// Guesses `log_line_prefix` from the lines themselves: each sampled prefix is read into a candidate pattern,
// and the candidate that matches the most sampled lines wins.

public enum PrefixDetector {
  /// Where the severity marker (`LOG:  `, `ERROR:  ` ...) starts in a stderr line, if it has one.
  public static func markerOffset(in line: ByteView) -> Int? {
    var position = 0
    // Severity tokens are upper-case words ending in `:` followed by spaces; search for the colon.
    while let colon = line.firstIndex(of: UInt8(ascii: ":"), from: position) {
      position = colon + 1
      guard colon + 1 < line.count, line[colon + 1] == UInt8(ascii: " ") else { continue }
      var start = colon
      while start > 0, line[start - 1] &- 0x41 < 26 || line[start - 1] &- 0x30 < 10 { start -= 1 }
      guard start < colon, Severity.parse(line.slice(start, colon)) != nil else { continue }
      // The token must start the line or follow a separator, not sit inside a word.
      if start == 0 || !isWordByte(line[start - 1]) { return start }
    }
    return nil
  }

  static func isWordByte(_ b: UInt8) -> Bool {
    b &- 0x41 < 26 || b &- 0x61 < 26 || b &- 0x30 < 10 || b == UInt8(ascii: "_")
  }

  /// Returns the prefix that matches the most of `lines`, with how many it matched, or nil if none did.
  public static func detect(_ lines: [[UInt8]]) -> (prefix: LinePrefix, matched: Int, sampled: Int)? {
    var candidates: [String] = []
    var sampled = 0
    for line in lines {
      line.withUnsafeBufferPointer { view in
        guard let offset = markerOffset(in: view) else { return }
        sampled += 1
        let candidate = pattern(for: view.slice(0, offset))
        if !candidates.contains(candidate) && candidates.count < 32 { candidates.append(candidate) }
      }
    }
    var best: (LinePrefix, Int)?
    for text in candidates {
      guard let prefix = try? LinePrefix(text) else { continue }
      var matched = 0
      for line in lines where line.withUnsafeBufferPointer({ prefix.match($0) != nil }) { matched += 1 }
      // Prefer more matches; on a tie the longer pattern (more fields) wins.
      if best == nil || matched > best!.1 || (matched == best!.1 && prefix.elements.count > best!.0.elements.count) {
        best = (prefix, matched)
      }
    }
    guard let (prefix, matched) = best, matched > 0 else { return nil }
    return (prefix, matched, sampled)
  }

  static let labels: [String: String] = [
    "user": "%u", "usr": "%u", "u": "%u", "username": "%u", "role": "%u",
    "db": "%d", "database": "%d", "dbname": "%d", "d": "%d",
    "app": "%a", "application": "%a", "appname": "%a", "application_name": "%a", "a": "%a",
    "client": "%h", "host": "%h", "remote": "%h", "h": "%h", "clientaddr": "%h", "ip": "%h",
    "pid": "%p", "p": "%p",
    "line": "%l", "l": "%l",
    "session": "%c", "sess": "%c", "session_id": "%c", "c": "%c",
    "xid": "%x", "tx": "%x", "txid": "%x", "x": "%x",
    "vxid": "%v", "v": "%v",
    "sqlstate": "%e", "state": "%e", "e": "%e",
    "tag": "%i", "cmd": "%i", "command": "%i", "i": "%i",
    "backend": "%b", "backend_type": "%b", "b": "%b",
    "query_id": "%Q", "queryid": "%Q", "qid": "%Q",
  ]

  /// Reads one sampled prefix into `log_line_prefix` syntax.
  static func pattern(for prefix: ByteView) -> String {
    var out = ""
    var i = 0
    var sawPid = false
    func literal(_ b: UInt8) { out += b == UInt8(ascii: "%") ? "%%" : String(UnicodeScalar(b)) }
    if let parsed = LogTimestamp.parse(prefix, at: 0) {
      let text = prefix.slice(0, parsed.end)
      out += text.firstIndex(of: UInt8(ascii: "."), from: 0) != nil ? "%m" : "%t"
      i = parsed.end
    } else if let (_, end) = LogTimestamp.parseEpoch(prefix, at: 0) {
      out += "%n"
      i = end
    }
    while i < prefix.count {
      let b = prefix[i]
      // [digits] or [digits-digits]: process id, or session line number with its sub-number.
      if b == UInt8(ascii: "["), let (_, end) = prefix.parseDigits(at: i + 1), end < prefix.count {
        if prefix[end] == UInt8(ascii: "]") {
          out += sawPid ? "[%l]" : "[%p]"
          sawPid = true
          i = end + 1
          continue
        }
        if prefix[end] == UInt8(ascii: "-"), let (sub, subEnd) = prefix.parseDigits(at: end + 1),
          subEnd < prefix.count, prefix[subEnd] == UInt8(ascii: "]")
        {
          out += "[%l-\(sub)]"
          i = subEnd + 1
          continue
        }
      }
      if isWordByte(b) && (i == 0 || !isWordByte(prefix[i - 1])) {
        var wordEnd = i
        while wordEnd < prefix.count, isWordByte(prefix[wordEnd]) { wordEnd += 1 }
        let word = prefix.slice(i, wordEnd).string.lowercased()
        // label=value
        if wordEnd < prefix.count, prefix[wordEnd] == UInt8(ascii: "="), let escape = labels[word] {
          out += prefix.slice(i, wordEnd + 1).string.replacingPercent + escape
          var valueEnd = wordEnd + 1
          while valueEnd < prefix.count, prefix[valueEnd] != UInt8(ascii: ","), prefix[valueEnd] != UInt8(ascii: " ") {
            valueEnd += 1
          }
          if escape == "%h", prefix.slice(wordEnd + 1, valueEnd).firstIndex(of: UInt8(ascii: "("), from: 0) != nil {
            out.removeLast(2)
            out += "%r"
          }
          if escape == "%p" { sawPid = true }
          i = valueEnd
          continue
        }
        // user@database
        if wordEnd < prefix.count, prefix[wordEnd] == UInt8(ascii: "@") {
          var dbEnd = wordEnd + 1
          while dbEnd < prefix.count, isWordByte(prefix[dbEnd]) || prefix[dbEnd] == UInt8(ascii: "-") { dbEnd += 1 }
          out += "%u@%d"
          i = dbEnd
          continue
        }
        // A session id: hex.hex
        if wordEnd < prefix.count, prefix[wordEnd] == UInt8(ascii: "."),
          prefix.slice(i, wordEnd).allSatisfy(isHex)
        {
          var hexEnd = wordEnd + 1
          while hexEnd < prefix.count, isHex(prefix[hexEnd]) { hexEnd += 1 }
          if hexEnd > wordEnd + 1 {
            out += "%c"
            i = hexEnd
            continue
          }
        }
        // A bare process id after the timestamp.
        if !sawPid, prefix.slice(i, wordEnd).allSatisfy({ $0 &- 0x30 < 10 }) {
          out += "%p"
          sawPid = true
          i = wordEnd
          continue
        }
        out += prefix.slice(i, wordEnd).string.replacingPercent
        i = wordEnd
        continue
      }
      literal(b)
      i += 1
    }
    return out
  }

  static func isHex(_ b: UInt8) -> Bool { b &- 0x30 < 10 || b &- 0x61 < 6 || b &- 0x41 < 6 }
}

extension String {
  fileprivate var replacingPercent: String {
    var result = ""
    for c in self { result += c == "%" ? "%%" : String(c) }
    return result
  }
}
