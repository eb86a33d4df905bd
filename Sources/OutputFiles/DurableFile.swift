// Writing what a run produces (reports, saved states, the --state file) so that nothing is lost to a crash or a
// full disk: a regular file is written beside its target under a temporary name, synced, given the mode and
// owner of the file it replaces (a new one follows the umask), renamed over it, and the folder synced; a
// reader sees the old file or the new one, never half of either. Anything else (`-` for standard output,
// /dev/stdout, a pipe, /dev/null, /dev/full) is written in place, and its errors are errors too.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

public struct WriteError: Error, Sendable, CustomStringConvertible {
  public var path: String
  public var reason: String
  /// "cannot write PATH: REASON".
  public var description: String { "cannot write \(path): \(reason)" }
}

public enum DurableFile {
  /// What `-` stands for: standard output.
  public static let standardOutput = "-"

  /// Writes `bytes` to `path` durably (see above).
  public static func write(_ bytes: [UInt8], to path: String) throws(WriteError) {
    if path == standardOutput { return try writeAll(bytes, to: STDOUT_FILENO, path: "standard output") }
    var existing = stat()
    let exists = stat(path, &existing) == 0
    if exists && (existing.st_mode & S_IFMT) != S_IFREG {
      if (existing.st_mode & S_IFMT) == S_IFDIR { throw WriteError(path: path, reason: "is a directory") }
      // A device or a pipe: written in place.
      let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
      guard fd >= 0 else { throw WriteError(path: path, reason: reason()) }
      defer { close(fd) }
      return try writeAll(bytes, to: fd, path: path)
    }
    let (folder, name) = split(path)
    sweepTemporaries(in: folder, for: name)
    let temporary = folder + "/" + temporaryName(for: name, pid: getpid())
    // A new file's mode is 0666 less the umask, as any program's.
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard fd >= 0 else {
      if errno == ENOENT { throw WriteError(path: path, reason: "there is no folder \(folder)") }
      throw WriteError(path: path, reason: "cannot create a file in \(folder): \(reason())")
    }
    var done = false
    defer {
      if !done { unlink(temporary) }
    }
    do {
      defer { close(fd) }
      try writeAll(bytes, to: fd, path: path)
      if exists {
        // The replaced file's mode and owner, not this run's defaults (an owner only root may give is kept
        // where the run may give it).
        _ = fchmod(fd, existing.st_mode & 0o7777)
        _ = fchown(fd, existing.st_uid, existing.st_gid)
      }
      guard fsync(fd) == 0 else { throw WriteError(path: path, reason: "cannot sync: \(reason())") }
    }
    guard rename(temporary, path) == 0 else { throw WriteError(path: path, reason: "cannot replace: \(reason())") }
    done = true
    syncFolder(folder)
  }

  public static func write(_ text: String, to path: String) throws(WriteError) {
    try write(Array(text.utf8), to: path)
  }

  private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws(WriteError) {
    var written = 0
    while written < bytes.count {
      let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
      if n < 0 {
        if errno == EINTR { continue }
        throw WriteError(path: path, reason: reason())
      }
      written += n
    }
  }

  static func reason() -> String { String(cString: strerror(errno)) }

  static func split(_ path: String) -> (folder: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let folder = String(path[..<slash])
    return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
  }

  static func temporaryName(for name: String, pid: Int32) -> String { ".\(name).pgsift-\(pid).tmp" }

  /// Removes the temporary files that runs which died (no process of their id is alive) left beside `name`.
  public static func sweepTemporaries(in folder: String, for name: String) {
    guard let directory = opendir(folder) else { return }
    defer { closedir(directory) }
    let head = ".\(name).pgsift-"
    while let entry = readdir(directory) {
      let file = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      guard file.hasPrefix(head), file.hasSuffix(".tmp"),
        let pid = Int32(file.dropFirst(head.count).dropLast(4))
      else { continue }
      if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH { unlink(folder + "/" + file) }
    }
  }

  private static func syncFolder(_ folder: String) {
    let fd = open(folder, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = fsync(fd)
    close(fd)
  }
}
