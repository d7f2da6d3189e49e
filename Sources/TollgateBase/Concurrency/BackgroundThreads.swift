import Dispatch
import Foundation
import Synchronization

/// A few threads that each run a turn of work until stopped, and between turns that found nothing
/// to do sleep until the signal rings or the poll interval passes. The webhook applier and the
/// outbox worker run on it; their blocking store and network calls stay off Swift's concurrency pool.
///
/// It owns the lifecycle: threads start once, never after ``stop(timeout:)``, and ``isStopping``
/// tells a turn in progress to finish early.
package final class BackgroundThreads: Sendable {
    private struct State {
        var started = false
        var stopping = false
        var finished: [DispatchSemaphore] = []
    }

    private let name: String
    private let count: Int
    private let signal: WorkSignal
    private let pollInterval: Duration
    private let state = Mutex(State())

    package init(name: String, count: Int, signal: WorkSignal = WorkSignal(), pollInterval: Duration) {
        self.name = name
        self.count = count
        self.signal = signal
        self.pollInterval = pollInterval
    }

    package var isStopping: Bool { state.withLock { $0.stopping } }

    /// Starts the threads (once; not after ``stop(timeout:)``). `turn` runs on thread `index`, each
    /// turn a traced operation of its own (``TraceContext/startingTrace(generator:_:)``), and returns true
    /// when it did something (the next turn then starts at once).
    package func start(turn: @escaping @Sendable (_ index: Int) -> Bool) {
        let semaphores = (0..<count).map { _ in DispatchSemaphore(value: 0) }
        let start = state.withLock { state -> Bool in
            guard !state.started, !state.stopping else { return false }
            state.started = true
            state.finished = semaphores
            return true
        }
        guard start else { return }
        for (index, finished) in semaphores.enumerated() {
            let threadName = count == 1 ? name : "\(name)-\(index)"
            let thread = Thread { [self] in
                ThreadName.set(threadName)
                while !isStopping {
                    if !TraceContext.startingTrace({ turn(index) }), !isStopping { signal.wait(timeout: pollInterval) }
                }
                finished.signal()
            }
            thread.start()
        }
    }

    /// Asks every thread to stop after its turn and waits for them (at most `timeout` in all).
    package func stop(timeout: Duration) {
        let finished = state.withLock { state -> [DispatchSemaphore] in
            state.stopping = true
            defer { state.finished = [] }
            return state.finished
        }
        let deadline = DispatchTime.now() + timeout.seconds
        for semaphore in finished {
            signal.notify()
            _ = semaphore.wait(timeout: deadline)
        }
    }
}
