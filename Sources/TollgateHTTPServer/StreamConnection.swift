import CMicroHTTPD
import CMicroHTTPDShims
import Foundation
import Synchronization

/// One streamed response while libmicrohttpd sends it (`MHD_create_response_from_callback` with
/// an unknown size, so HTTP/1.1 chunked encoding): libmicrohttpd calls ``fill(_:capacity:)``
/// whenever the connection's write buffer has room, and the free callback when the response is
/// done with (finished, peer gone, write failed, shutdown), which closes the source.
///
/// How it waits for data depends on the threading mode, and never holds a shared thread:
/// * thread per connection: the connection's own thread waits in the source
///   (``ResponseStream/waitForData(timeout:)``), at most until the next heartbeat is due and at
///   most ``StreamRegistry/shutdownCheckInterval`` at a time (so shutdown ends it promptly);
/// * epoll: the connection is suspended (libmicrohttpd allows it from the content reader) and
///   handed to the ``StreamPump``, which resumes it when the source has data, the heartbeat is due
///   or the server is stopping. libmicrohttpd's I/O thread never waits.
final class StreamConnection: Sendable {
    private struct State {
        var pending: [UInt8] = []
        var offset = 0
        /// When bytes were last handed to libmicrohttpd (the heartbeat counts from it).
        var lastSent: ContinuousClock.Instant
    }

    let body: StreamBody
    let connection: ConnectionHandle
    /// The connection's socket: open as long as the connection is (libmicrohttpd closes it after
    /// releasing the response), so always this connection's while the stream runs.
    private let socket: Int32
    private let registry: StreamRegistry
    private let state: Mutex<State>

    init(body: StreamBody, connection: ConnectionHandle, registry: StreamRegistry) {
        self.body = body
        self.connection = connection
        self.registry = registry
        socket = tg_mhd_connection_fd(connection.pointer)
        state = Mutex(State(lastSent: .now))
    }

    /// `MHD_CONTENT_READER_END_OF_STREAM`: the chunked body ends normally.
    static let endOfStream = -1
    /// `MHD_CONTENT_READER_END_WITH_ERROR`: libmicrohttpd closes the connection at once.
    static let endWithError = -2

    /// Whether the peer has closed its side (EOF waiting on the socket). A consumer of a stream
    /// sends nothing after its request, so a readable EOF means it is gone: the stream ends now
    /// rather than at the next heartbeat. Bytes waiting (a pipelined request) are not an EOF.
    func peerClosed() -> Bool {
        guard socket >= 0 else { return false }
        var byte: UInt8 = 0
        let received = recv(socket, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return received == 0 || (received < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    }

    /// The content reader: copies up to `capacity` bytes into `buffer`; returns their count, 0 after
    /// suspending the connection (epoll mode), or ``endOfStream``.
    func fill(_ buffer: UnsafeMutableRawPointer, capacity: Int) -> Int {
        while true {
            let copied = state.withLock { state -> Int in
                let count = min(capacity, state.pending.count - state.offset)
                guard count > 0 else { return 0 }
                let offset = state.offset
                state.pending.withUnsafeBytes { bytes in
                    // count > 0, so the array is not empty and has a base address.
                    if let base = bytes.baseAddress { buffer.copyMemory(from: base + offset, byteCount: count) }
                }
                state.offset += count
                if state.offset == state.pending.count {
                    state.pending = []
                    state.offset = 0
                }
                state.lastSent = .now
                return count
            }
            if copied > 0 { return copied }
            if registry.isClosing { return Self.endOfStream }
            guard let bytes = body.source.read() else { return Self.endOfStream }
            if !bytes.isEmpty {
                state.withLock { $0.pending = bytes }
                continue
            }
            let untilHeartbeat = heartbeatDue()
            if untilHeartbeat <= .zero {
                state.withLock { $0.pending = body.heartbeat }
                continue
            }
            // Nothing to send: a good moment to notice a consumer that left (one syscall per wait).
            if peerClosed() { return Self.endWithError }
            guard let pump = registry.pump else {
                _ = body.source.waitForData(timeout: min(untilHeartbeat, StreamRegistry.shutdownCheckInterval))
                continue
            }
            MHD_suspend_connection(connection.pointer)
            pump.park(self)
            return 0
        }
    }

    /// The time left until a heartbeat is due (zero or less: now).
    func heartbeatDue(now: ContinuousClock.Instant = .now) -> Duration {
        let last = state.withLock { $0.lastSent }
        return last + registry.heartbeat - now
    }

    /// For the pump: whether a parked stream should be resumed now (a peer that closed included:
    /// libmicrohttpd does not watch a suspended connection, the reader then ends it).
    func shouldResume() -> Bool {
        registry.isClosing || heartbeatDue() <= .zero || peerClosed() || body.source.waitForData(timeout: .zero)
    }

    // MARK: The C callbacks

    /// `MHD_ContentReaderCallback`; the context is a retained ``StreamConnection``.
    static let reader: MHD_ContentReaderCallback = { context, _, buffer, capacity in
        guard let context, let buffer else { return endOfStream }
        let stream = Unmanaged<StreamConnection>.fromOpaque(context).takeUnretainedValue()
        return stream.fill(UnsafeMutableRawPointer(buffer), capacity: capacity)
    }

    /// `MHD_ContentReaderFreeCallback`: the response is destroyed; releases the context.
    static let release: MHD_ContentReaderFreeCallback = { context in
        guard let context else { return }
        let stream = Unmanaged<StreamConnection>.fromOpaque(context).takeRetainedValue()
        stream.registry.pump?.unpark(stream)
        stream.body.source.close()
        stream.registry.ended()
    }
}
