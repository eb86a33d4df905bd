// An exclusive lock beside a file (`FILE.lock`), held from before it is read until after it is replaced: two
// runs on one --state file (an overlapping cron job) take turns, never both count the same lines. The lock is
// flock(2)'s, so it ends with the process that holds it, however that process ends.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

public final class FileLock {
  public let path: String
  private let fd: Int32

  public struct Busy: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var waitedSeconds: Int
    public var description: String {
      "\(path) is held by another pgsift run (waited \(waitedSeconds) s); this run reads nothing, so that no line "
        + "is counted twice: run it again once the other has finished"
    }
  }

  /// Takes the lock on `FILE.lock`, waiting up to `waitSeconds` for another run to let it go; `waiting` is told
  /// once, when the lock is found held.
  public init(beside file: String, waitSeconds: Int, waiting: (String) -> Void = { _ in }) throws(Busy) {
    path = file + ".lock"
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o666)
    guard fd >= 0 else {
      // A folder the run may not write in: it could not replace the state file either; that error is named
      // when it is saved. Without a lock file there is nothing to hold.
      self.fd = -1
      return
    }
    var told = false
    let start = time(nil)
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
      guard errno == EWOULDBLOCK || errno == EINTR else { break }
      let waited = Int(time(nil) - start)
      if waited >= waitSeconds {
        close(fd)
        throw Busy(path: path, waitedSeconds: waited)
      }
      if !told {
        waiting(path)
        told = true
      }
      usleep(100_000)
    }
    self.fd = fd
  }

  deinit {
    if fd >= 0 {
      _ = flock(fd, LOCK_UN)
      close(fd)
    }
  }
}
