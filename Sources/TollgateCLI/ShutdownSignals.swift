import Dispatch
import Foundation
import Synchronization

/// Waits for SIGTERM or SIGINT, deliberately.
///
/// A parent (Foundation's `Process` on Linux among them) may start us with SIGTERM blocked; so
/// the inherited mask is cleared for these signals first. Their default action is then replaced
/// by a dispatch source, so the signal arrives as an event whatever thread it lands on.
/// SIGPIPE is ignored: a client that hangs up must not kill the server.
final class ShutdownSignals {
    /// What the signal handlers share with the waiting thread.
    private final class Received: Sendable {
        let signal = Mutex<Int32?>(nil)
        let semaphore = DispatchSemaphore(value: 0)

        func record(_ number: Int32) {
            let first = signal.withLock { value -> Bool in
                guard value == nil else { return false }
                value = number
                return true
            }
            if first { semaphore.signal() }
        }
    }

    private let received = Received()
    private let sources: [any DispatchSourceSignal]

    init() {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGTERM)
        sigaddset(&unblock, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        signal(SIGPIPE, SIG_IGN)

        let queue = DispatchQueue(label: "tollgate.signals")
        let received = self.received
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { received.record(number) }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }

    /// Blocks until the first SIGTERM or SIGINT and returns its name.
    func wait() -> String {
        received.semaphore.wait()
        return received.signal.withLock { $0 } == SIGINT ? "SIGINT" : "SIGTERM"
    }
}
