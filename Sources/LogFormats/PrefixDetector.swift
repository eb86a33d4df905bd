import Foundation
import LogInput

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
        for text in variants(of: candidate) where !candidates.contains(text) && candidates.count < 64 {
          candidates.append(text)
        }
      }
    }
    var best: (LinePrefix, Int)?
    for text in candidates {
      guard let prefix = try? LinePrefix(text) else { continue }
      var matched = 0
      let checksPid = text.contains("%c") && text.contains("%p")
      for line in lines {
        let fits = line.withUnsafeBufferPointer { view -> Bool in
          guard let match = prefix.match(view) else { return false }
          // `%c` carries the process id: a number read as %p must agree with it.
          return !checksPid || match.sessionPid == nil || match.sessionPid == match.pid
        }
        if fits { matched += 1 }
      }
      // Prefer more matches; on a tie the longer pattern (more fields) wins, then the one without a `%q` stop
      // that no line needed.
      func rank(_ prefix: LinePrefix) -> (Int, Int) {
        let stops = prefix.elements.filter { $0 == .sessionOnlyFollows }.count
        return (prefix.elements.count - stops, -stops)
      }
      if best == nil || matched > best!.1 || (matched == best!.1 && rank(prefix) > rank(best!.0)) {
        best = (prefix, matched)
      }
    }
    guard let (prefix, matched) = best, matched > 0 else { return nil }
    return (prefix, matched, sampled)
  }

  /// Other readings of a pattern guessed from one line: a `%q` stop (background processes print nothing from
  /// it on), a number read as the session line `%l` instead of the process id `%p`, and a bracketed word read as
  /// the application name. The samples decide between them.
  static func variants(of pattern: String) -> [String] {
    var result = [pattern]
    if let bracketed = bracketedWordAsApplication(pattern) { result.append(bracketed) }
    if pattern.contains("%p"), !pattern.contains("%l") {
      result += result.map { $0.replacingOccurrences(of: "%p", with: "%l") }
    }
    result += result.compactMap(withSessionStop)
    return result
  }

  /// Replaces the first `[word]` literal with `[%a]`, when the pattern has no %a yet.
  static func bracketedWordAsApplication(_ pattern: String) -> String? {
    guard !pattern.contains("%a") else { return nil }
    let chars = Array(pattern)
    var i = 0
    while i < chars.count {
      if chars[i] == "[", let close = chars[(i + 1)...].firstIndex(of: "]") {
        let inside = chars[(i + 1)..<close]
        if !inside.contains("%") && !inside.isEmpty {
          return String(chars[...i]) + "%a" + String(chars[close...])
        }
        i = close
      }
      i += 1
    }
    return nil
  }

  /// The pattern with `%q` inserted before its first session-only escape, or nil when it has none.
  static func withSessionStop(_ pattern: String) -> String? {
    guard !pattern.contains("%q") else { return nil }
    var out = ""
    var chars = pattern[...]
    while let c = chars.popFirst() {
      if c == "%", let code = chars.first {
        if "udarhi".contains(code) { return out + "%q%" + String(chars) }
        out += "%" + String(code)
        chars.removeFirst()
        continue
      }
      out.append(c)
    }
    return nil
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
    "vxid": "%v", "v": "%v", "vtid": "%v", "tid": "%x",
    "log_line": "%l", "proc_start_time": "%s", "session_start": "%s", "connection_source": "%r",
    "sql_error_code": "%e",
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
      // A timestamp later in the prefix (`< %m >`, `[%p] %t`).
      if b &- 0x30 < 10, i == 0 || !isWordByte(prefix[i - 1]), !out.contains("%t"), !out.contains("%m"),
        let parsed = LogTimestamp.parse(prefix, at: i)
      {
        out += prefix.slice(i, parsed.end).firstIndex(of: UInt8(ascii: "."), from: 0) != nil ? "%m" : "%t"
        i = parsed.end
        continue
      }
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
          // `[%l-1]` (pgBadger's advice) prints a constant after the dash; `[%p-%l]` a changing line number.
          out += sub == 1 || sawPid ? "[%l-\(sub)]" : "[%p-%l]"
          sawPid = true
          i = subEnd + 1
          continue
        }
      }
      // A client address: [local], or IPv4 with an optional (port).
      if b == UInt8(ascii: "["), prefix.matches("[local]", at: i) {
        out += "%r"
        i += 7
        continue
      }
      if b &- 0x30 < 10, let end = ipv4End(prefix, from: i) {
        var portEnd = end
        if end < prefix.count, prefix[end] == UInt8(ascii: "("), let (_, digitsEnd) = prefix.parseDigits(at: end + 1),
          digitsEnd < prefix.count, prefix[digitsEnd] == UInt8(ascii: ")")
        {
          portEnd = digitsEnd + 1
        }
        out += portEnd > end ? "%r" : "%h"
        i = portEnd
        continue
      }
      // An empty user@database (background processes without %q).
      if b == UInt8(ascii: "@") && !out.hasSuffix("%u") && !out.contains("%u") {
        out += "%u@%d"
        i += 1
        continue
      }
      // A SQLSTATE: five digits or capitals, which a process id (never starting with 0) cannot be.
      if isWordByte(b) && (i == 0 || !isWordByte(prefix[i - 1])) && i + 5 <= prefix.count
        && (i + 5 == prefix.count || !isWordByte(prefix[i + 5]))
        && prefix.slice(i, i + 5).allSatisfy({ $0 &- 0x30 < 10 || $0 &- 0x41 < 26 })
        && (b == UInt8(ascii: "0") || prefix.slice(i, i + 5).contains { $0 &- 0x41 < 26 })
        && !out.contains("%e")
      {
        out += "%e"
        i += 5
        continue
      }
      if isWordByte(b) && (i == 0 || !isWordByte(prefix[i - 1])) {
        var wordEnd = i
        while wordEnd < prefix.count, isWordByte(prefix[wordEnd]) { wordEnd += 1 }
        let word = prefix.slice(i, wordEnd).string.lowercased()
        // label="value", as Heroku's prefix has them: the value runs to the closing quote.
        if wordEnd + 1 < prefix.count, prefix[wordEnd] == UInt8(ascii: "="), prefix[wordEnd + 1] == UInt8(ascii: "\""),
          let escape = labels[word], let close = prefix.firstIndex(of: UInt8(ascii: "\""), from: wordEnd + 2)
        {
          out += prefix.slice(i, wordEnd + 2).string.replacingPercent + escape + "\""
          if escape == "%p" { sawPid = true }
          i = close + 1
          continue
        }
        // label=value
        if wordEnd < prefix.count, prefix[wordEnd] == UInt8(ascii: "="), let escape = labels[word] {
          out += prefix.slice(i, wordEnd + 1).string.replacingPercent + escape
          // The value runs to a comma or space, or to a closing bracket unless it opened one itself
          // (`app=[unknown]`).
          var valueEnd = wordEnd + 1
          let bracketed = valueEnd < prefix.count && prefix[valueEnd] == UInt8(ascii: "[")
          while valueEnd < prefix.count, prefix[valueEnd] != UInt8(ascii: ","), prefix[valueEnd] != UInt8(ascii: " "),
            bracketed || (prefix[valueEnd] != UInt8(ascii: "]") && prefix[valueEnd] != UInt8(ascii: ")"))
          {
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

  /// The end of an IPv4 address starting at `from`, if there is one.
  static func ipv4End(_ bytes: ByteView, from: Int) -> Int? {
    var i = from
    for part in 0..<4 {
      guard let (value, end) = bytes.parseDigits(at: i), value < 256, end - i <= 3 else { return nil }
      i = end
      if part < 3 {
        guard i < bytes.count, bytes[i] == UInt8(ascii: ".") else { return nil }
        i += 1
      }
    }
    return i
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
