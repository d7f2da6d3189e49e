import Dispatch
import Foundation
import Synchronization
import TollgateLogging
import TollgateBase

/// A fixed set of threads that run blocking jobs (handlers that touch the store or the network)
/// from one FIFO queue. Not Swift concurrency: those handlers block in C calls, and the
/// concurrency pool has one thread per core.
final class WorkerPool: Sendable {
    typealias Job = @Sendable () -> Void

    private struct Queue {
        var jobs: [Job?] = []
        var head = 0
        var closed = false

        mutating func push(_ job: @escaping Job) {
            jobs.append(job)
        }

        mutating func pop() -> Job? {
            guard head < jobs.count else { return nil }
            let job = jobs[head]
            jobs[head] = nil
            head += 1
            if head > 64, head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    private let queue = Mutex(Queue())
    /// Counts jobs in the queue (plus one wake-up per thread at shutdown).
    private let available = DispatchSemaphore(value: 0)
    /// Entered once per thread, left when the thread exits.
    private let running = DispatchGroup()
    let threadCount: Int

    /// Starts `threadCount` threads named `name-0`, `name-1`, … (Linux keeps 15 bytes of a name).
    init(threadCount: Int, name: String) {
        self.threadCount = threadCount
        for index in 0..<threadCount {
            running.enter()
            let thread = Thread { [self] in
                ThreadName.set("\(name)-\(index)")
                self.work()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Queues `job`; returns false (and drops it) once the pool is shutting down.
    @discardableResult
    func submit(_ job: @escaping Job) -> Bool {
        let accepted = queue.withLock { queue -> Bool in
            if queue.closed { return false }
            queue.push(job)
            return true
        }
        if accepted { available.signal() }
        return accepted
    }

    /// Lets the threads finish the queued jobs and exit; waits for that up to `timeout`.
    /// Returns false when some thread was still busy at the deadline (it exits on its own later).
    @discardableResult
    func shutdown(timeout: Duration) -> Bool {
        let wasOpen = queue.withLock { queue -> Bool in
            defer { queue.closed = true }
            return !queue.closed
        }
        if wasOpen {
            for _ in 0..<threadCount { available.signal() }
        }
        let nanoseconds = max(0, timeout.nanoseconds)
        return running.wait(timeout: .now() + .nanoseconds(Int(nanoseconds))) == .success
    }

    private func work() {
        defer { running.leave() }
        while true {
            available.wait()
            let next = queue.withLock { queue -> (job: Job?, stop: Bool) in
                let job = queue.pop()
                return (job, job == nil && queue.closed)
            }
            if let job = next.job {
                job()
            } else if next.stop {
                return
            }
        }
    }
}
