// A fixed set of threads that run jobs and hand their results back in the order the jobs were given. The
// thread that submits also receives: it is never more than `window` results ahead of what it received, so
// memory stays bounded however long the input. With no threads, each job runs at once on the caller's thread.
import Foundation

final class WorkPool<Context, Result>: @unchecked Sendable {
  typealias Job = @Sendable (inout Context) -> Result

  private let condition = NSCondition()
  /// Jobs not yet taken; never more than `window` (the submitter waits), so taking from the front is cheap.
  private var jobs: [(Int, Job)] = []
  private var finished: [Int: Result] = [:]
  private var submitted = 0
  private var delivered = 0
  private var stopping = false
  private let window: Int
  private var threads: [Thread] = []
  private var contexts: [Context]
  private var running = 0

  /// `threads` workers, each with a context from `makeContext`; 0 runs every job on the caller's thread.
  init(threads count: Int, window: Int, makeContext: () -> Context) {
    self.window = max(1, window)
    contexts = (0..<max(1, count)).map { _ in makeContext() }
    guard count > 0 else { return }
    running = count
    for worker in 0..<count {
      let thread = Thread { [self] in work(worker) }
      thread.stackSize = 8 << 20
      thread.name = "pgsift-worker-\(worker)"
      threads.append(thread)
    }
    for thread in threads { thread.start() }
  }

  private var inline: Bool { threads.isEmpty }

  /// Queues a job; results that are ready are handed to `receive`, oldest first, before it returns.
  func submit(_ job: @escaping Job, receive: (Result) -> Void) {
    if inline {
      receive(job(&contexts[0]))
      return
    }
    condition.lock()
    jobs.append((submitted, job))
    submitted += 1
    condition.broadcast()
    condition.unlock()
    deliver(waitingUntil: submitted - window, receive: receive)
  }

  /// Waits for every job and hands out the remaining results, then stops the threads.
  func finish(receive: (Result) -> Void) {
    guard !inline else { return }
    deliver(waitingUntil: submitted, receive: receive)
    condition.lock()
    stopping = true
    condition.broadcast()
    while running > 0 { condition.wait() }
    condition.unlock()
  }

  /// Each worker's context, once `finish` has returned.
  var workerContexts: [Context] { contexts }

  /// Hands out results in order: every ready one, and waits for those before `target`.
  private func deliver(waitingUntil target: Int, receive: (Result) -> Void) {
    while true {
      condition.lock()
      while delivered < target && finished[delivered] == nil { condition.wait() }
      guard let result = finished.removeValue(forKey: delivered) else {
        condition.unlock()
        return
      }
      delivered += 1
      condition.broadcast()
      condition.unlock()
      receive(result)
    }
  }

  private func work(_ worker: Int) {
    var context = contexts[worker]
    condition.lock()
    while true {
      if !jobs.isEmpty {
        // Taken off the queue at once, so the job (and the chunk it holds) is freed when it is done.
        let (index, job) = jobs.removeFirst()
        condition.unlock()
        let result = job(&context)
        condition.lock()
        finished[index] = result
        condition.broadcast()
      } else if stopping {
        break
      } else {
        condition.wait()
      }
    }
    contexts[worker] = context
    running -= 1
    condition.broadcast()
    condition.unlock()
  }
}
