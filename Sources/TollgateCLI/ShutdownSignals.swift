import Dispatch
import Foundation
import Synchronization

/// Waits for SIGTERM or SIGINT, deliberately.
///
/// A parent (Foundation's `Process` on Linux among them) may start us with SIGTERM blocked; so
/// the inherited mask is cleared for these signals first. Their default action is then replaced
/// by a dispatch source, so the signal arrives as an event whatever thread it lands on.
/// SIGPIPE is ignored: a client that hangs up must not kill the server.
final class ShutdownSignals: Sendable {
    private let received = Mutex<Int32?>(nil)
    private let semaphore = DispatchSemaphore(value: 0)
    private let sources: [any DispatchSourceSignal]

    init() {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGTERM)
        sigaddset(&unblock, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        signal(SIGPIPE, SIG_IGN)

        let queue = DispatchQueue(label: "tollgate.signals")
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            sources.append(DispatchSource.makeSignalSource(signal: number, queue: queue))
        }
        self.sources = sources
        for (source, number) in zip(sources, [SIGTERM, SIGINT]) {
            source.setEventHandler { [self] in
                let first = received.withLock { value -> Bool in
                    defer { if value == nil { value = number } }
                    return value == nil
                }
                if first { semaphore.signal() }
            }
            source.resume()
        }
    }

    /// Blocks until the first SIGTERM or SIGINT and returns its name.
    func wait() -> String {
        semaphore.wait()
        return received.withLock { $0 } == SIGINT ? "SIGINT" : "SIGTERM"
    }
}
