import CMicroHTTPD
import CMicroHTTPDShims
import Foundation
import Synchronization
import TollgateBase

/// Epoll mode: the thread that watches suspended streams and resumes each when its source has
/// data, its heartbeat is due or the server is stopping. It looks every ``tick`` (10 ms) without
/// waiting in any one source (``ResponseStream/waitForData(timeout:)`` with a zero timeout), so
/// a stream adds at most a tick of latency in this mode and no stream holds another back.
/// A source's look may read the store (a blocking call): it happens here, never on the I/O thread.
final class StreamPump: Sendable {
    static let tick: Duration = .milliseconds(10)

    private let parked = Mutex<[ObjectIdentifier: StreamConnection]>([:])
    private let signal = WorkSignal()
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init() {
        let thread = Thread { [self] in
            ThreadName.set("http-stream-pump")
            while !self.stopping.load(ordering: .acquiring) {
                self.signal.wait(timeout: Self.tick)
                self.resumeReady()
            }
            self.finished.signal()
        }
        thread.stackSize = 256 << 10
        thread.start()
    }

    /// A stream whose connection was just suspended (called from the content reader).
    func park(_ stream: StreamConnection) {
        parked.withLock { $0[ObjectIdentifier(stream)] = stream }
    }

    /// The stream is being released (its connection is gone); no-op when not parked.
    func unpark(_ stream: StreamConnection) {
        _ = parked.withLock { $0.removeValue(forKey: ObjectIdentifier(stream)) }
    }

    func wake() { signal.notify() }

    private func resumeReady() {
        let candidates = parked.withLock { Array($0.values) }
        for stream in candidates where stream.shouldResume() {
            resume(stream)
        }
    }

    /// Resumes `stream`'s connection unless someone else already took it off the list.
    private func resume(_ stream: StreamConnection) {
        let taken = parked.withLock { $0.removeValue(forKey: ObjectIdentifier(stream)) != nil }
        if taken { MHD_resume_connection(stream.connection.pointer) }
    }

    /// Stops the thread and resumes every stream still parked (libmicrohttpd must not be stopped
    /// with suspended connections).
    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        signal.notify()
        finished.wait()
        let remaining = parked.withLock { parked -> [StreamConnection] in
            defer { parked = [:] }
            return Array(parked.values)
        }
        for stream in remaining { MHD_resume_connection(stream.connection.pointer) }
    }
}
