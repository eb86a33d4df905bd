// Work cut into runs of consecutive indices, each run on a thread of its own, the results joined in order:
// for the serial stretches of a run (the prefix inference before parsing, the report after it) that would
// otherwise leave every core but one idle.
import Dispatch

public enum ParallelRuns {
  /// `body`'s results for `0..<count`, cut in at most `threads` runs of at least `minimumPerRun` indices
  /// (fewer runs when `count` is short; one runs on the caller's thread), joined in the order of the indices.
  public static func map<T>(
    _ count: Int, threads: Int, minimumPerRun: Int = 1, _ body: @Sendable (Range<Int>) -> [T]
  ) -> [T] {
    let runs = max(1, min(threads, count / max(1, minimumPerRun)))
    guard runs > 1 else { return count > 0 ? body(0..<count) : [] }
    let results = UnsafeMutableBufferPointer<[T]>.allocate(capacity: runs)
    results.initialize(repeating: [])
    defer {
      results.deinitialize()
      results.deallocate()
    }
    let slots = Slots(buffer: results)
    DispatchQueue.concurrentPerform(iterations: runs) { run in
      slots.buffer[run] = body(count * run / runs..<count * (run + 1) / runs)
    }
    var joined: [T] = []
    joined.reserveCapacity(results.reduce(0) { $0 + $1.count })
    for run in results { joined.append(contentsOf: run) }
    return joined
  }

  /// Result slots the threads write, each its own.
  private struct Slots<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<[T]>
  }
}
