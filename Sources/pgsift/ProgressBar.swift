// The progress bar on standard error, when it is a terminal and --quiet is not given: the bytes read of all the
// inputs (a compressed file by its compressed offset), the percentage, the rate and the time left, redrawn in
// place on one line that never wraps.
import Foundation
import LogInput
import LogReading

final class ProgressBar: @unchecked Sendable {
  private let lock = NSLock()
  private let started = Date()
  private var lastShown = Date.distantPast
  /// The inputs' sizes as stored, when every one is a regular file; nil for standard input or a pipe.
  private let totalBytes: Int?
  /// Each file's latest position and where this run started reading it.
  private var read: [String: (at: Int, from: Int)] = [:]
  private var lines: [String: Int] = [:]
  private var current = ""

  init(inputs: [String]) {
    var total = 0
    var known = true
    for path in inputs {
      var info = stat()
      if path != "-", stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
        total += Int(info.st_size)
      } else {
        known = false
      }
    }
    totalBytes = known && total > 0 ? total : nil
  }

  func show(_ update: ProgressUpdate) {
    lock.lock()
    defer { lock.unlock() }
    read[update.file] = (update.storedBytes, update.startedAt)
    lines[update.file] = update.lines
    current = update.file
    let now = Date()
    guard now.timeIntervalSince(lastShown) > 0.2 else { return }
    lastShown = now
    let frame = Self.frame(
      done: read.values.reduce(0) { $0 + $1.at }, readThisRun: read.values.reduce(0) { $0 + $1.at - $1.from },
      total: totalBytes, seconds: now.timeIntervalSince(started), file: current, lines: lines[current] ?? 0,
      width: Self.width())
    FileHandle.standardError.write(Data(("\r" + frame + "\u{1B}[K").utf8))
  }

  func clear() {
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }

  /// The terminal's width: standard error's, else `COLUMNS`, else 80.
  static func width() -> Int {
    var size = winsize()
    if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
    return 80
  }

  /// One frame, narrower than `width` (the last column is left free, so no terminal wraps it): the percentage,
  /// a bar, the bytes, the rate and the time left, then the file and its lines, each part dropped in turn from
  /// the end when the line would not fit.
  static func frame(
    done: Int, readThisRun: Int, total: Int?, seconds: Double, file: String, lines: Int, width: Int
  ) -> String {
    let rate = seconds > 0.05 ? Double(readThisRun) / seconds : 0
    var head: [String] = []
    var tail: [String] = []
    var fraction: Double?
    if let total, total > 0 {
      let f = min(1, Double(done) / Double(total))
      fraction = f
      head.append(String(format: "%3d%%", Int(f * 100)))
      tail.append("\(mebibytes(done))/\(mebibytes(total)) MiB")
    } else {
      tail.append("\(mebibytes(done)) MiB")
    }
    if rate > 0 { tail.append("\(mebibytes(Int(rate))) MiB/s") }
    if let total, rate > 0, seconds >= 1, done < total {
      tail.append(duration(Double(total - done) / rate) + " left")
    }
    tail.append("\(file.split(separator: "/").last.map(String.init) ?? file): \(lines.grouped) lines")
    let room = width - 1
    let start = "pgsift" + (head.isEmpty ? "" : " " + head.joined(separator: " "))
    // The bar's width depends on the terminal's alone, so it does not jump between frames. What does not fit
    // goes: the file first, then the time left and the rate; the bar before the bytes.
    let barWidth = min(30, max(10, room - 72))
    while true {
      let rest = tail.joined(separator: "  ")
      if let fraction {
        if start.count + rest.count + barWidth + 4 <= room {
          let filled = Int((fraction * Double(barWidth)).rounded(.down))
          return start + " [" + String(repeating: "#", count: filled)
            + String(repeating: ".", count: barWidth - filled) + "] " + rest
        }
      }
      if tail.count <= 1 {
        let text = start + " " + rest
        return text.count <= room ? text : String(text.prefix(max(0, room)))
      }
      tail.removeLast()
    }
  }

  static func mebibytes(_ bytes: Int) -> String {
    let value = Double(bytes) / 1_048_576
    return value >= 100 ? String(Int(value.rounded())) : String(format: "%.1f", value)
  }

  static func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded(.up))
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m\(s % 60 < 10 ? "0" : "")\(s % 60)s" }
    return "\(s / 3600)h\(s / 60 % 60 < 10 ? "0" : "")\(s / 60 % 60)m"
  }
}
