import Foundation
import Synchronization
import Testing
import TollgateBase
import TollgateHTTPServer
import TollgateLogging
import TollgateTestSupport

/// A stream of numbered lines up to a ``Watermark`` (the shape of the event stream: data by
/// position, waited for on the mark), closed after `end` when given.
final class CountingStream: ResponseStream {
    private struct State {
        var sent: Int64 = 0
        var closed = false
    }

    let mark: Watermark
    let end: Int64?
    private let state = Mutex(State())

    init(mark: Watermark, end: Int64? = nil) {
        self.mark = mark
        self.end = end
    }

    func read() -> [UInt8]? {
        state.withLock { state in
            if let end, state.sent >= end { return nil }
            guard state.sent < mark.value else { return [] }
            state.sent += 1
            return Array("line \(state.sent)\n".utf8)
        }
    }

    func waitForData(timeout: Duration) -> Bool {
        let sent = state.withLock { $0.sent }
        if let end, sent >= end { return true }
        return mark.wait(beyond: sent, timeout: timeout) > sent
    }

    func close() { state.withLock { $0.closed = true } }

    var isClosed: Bool { state.withLock { $0.closed } }
}

/// A stream that always has 64 KiB more to send: fills any consumer that does not read.
final class FloodStream: ResponseStream {
    private let closed = Atomic<Bool>(false)
    private let block = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)

    func read() -> [UInt8]? { block }
    func waitForData(timeout: Duration) -> Bool { true }
    func close() { closed.store(true, ordering: .relaxed) }
    var isClosed: Bool { closed.load(ordering: .relaxed) }
}

/// Streams created by the test routes, so that tests can look at them.
final class StreamLog: Sendable {
    private let streams = Mutex<[any ResponseStream]>([])
    func add(_ stream: any ResponseStream) { streams.withLock { $0.append(stream) } }
    var all: [any ResponseStream] { streams.withLock { $0 } }
}

/// Streamed responses (chunked, heartbeats, limit, slow and dead consumers) over real sockets.
@Suite struct StreamingTests {
    static let heartbeat = Array(": hb\n\n".utf8)

    struct Harness {
        let server: HTTPServer
        let mark: Watermark
        let log: StreamLog
        var port: Int { server.port }
    }

    static func with(
        mode: HTTPServerConfiguration.Mode, configure: (inout HTTPServerConfiguration) -> Void = { _ in }, _ body: (Harness) throws -> Void
    ) throws {
        let mark = Watermark()
        let log = StreamLog()
        let router = Router()
        router.register(.GET, "/count") { request in
            let stream = CountingStream(mark: mark, end: request.queryValue("end").flatMap(Int64.init))
            log.add(stream)
            return .stream(stream, heartbeat: heartbeat, headers: ["Content-Type": "text/plain"])
        }
        router.register(.GET, "/flood") { _ in
            let stream = FloodStream()
            log.add(stream)
            return .stream(stream, heartbeat: heartbeat)
        }
        router.register(.GET, "/healthz", options: RouteOptions(runsOnWorkerPool: false)) { _ in .text("ok") }
        router.register(.GET, "/pool") { _ in .text("pool") }
        var configuration = HTTPServerConfiguration(port: 0, mode: mode, streamHeartbeat: .milliseconds(200))
        configure(&configuration)
        let server = HTTPServer(configuration: configuration, router: router, logger: Logger(label: "test", level: .error, sink: MemoryLogSink()))
        try server.start()
        defer { server.shutdown(timeout: .seconds(5)) }
        try body(Harness(server: server, mark: mark, log: log))
    }

    @Test(arguments: TestServer.modes)
    func streamIsChunkedAndSendsWhatTheSourceHasAsItArrives(mode: HTTPServerConfiguration.Mode) throws {
        try Self.with(mode: mode, configure: { $0.streamHeartbeat = .seconds(60) }) { harness in
            let client = try StreamTestClient(port: harness.port, path: "/count")
            harness.mark.advance(to: 2)
            #expect(client.read(until: "line 2\n"))
            #expect(client.status == 200)
            #expect(client.headers["transfer-encoding"]?.lowercased() == "chunked")
            #expect(client.headers["x-request-id"] != nil)
            harness.mark.advance(to: 3)
            #expect(client.read(until: "line 3\n"))
            #expect(client.text == "line 1\nline 2\nline 3\n")
        }
    }

    @Test(arguments: TestServer.modes)
    func streamThatEndsFinishesTheResponseAndKeepsTheConnection(mode: HTTPServerConfiguration.Mode) throws {
        try Self.with(mode: mode) { harness in
            harness.mark.advance(to: 5)
            let client = try StreamTestClient(port: harness.port, path: "/count?end=3")
            #expect(client.read { $0.ended })
            #expect(client.text == "line 1\nline 2\nline 3\n")
            #expect(eventually { harness.log.all.allSatisfy { ($0 as? CountingStream)?.isClosed == true } })
        }
    }

    @Test(arguments: TestServer.modes)
    func silentStreamSendsHeartbeats(mode: HTTPServerConfiguration.Mode) throws {
        try Self.with(mode: mode) { harness in
            let client = try StreamTestClient(port: harness.port, path: "/count")
            #expect(client.read { $0.text.components(separatedBy: ": hb\n\n").count > 3 })
            harness.mark.advance(to: 1)
            #expect(client.read(until: "line 1\n"))
        }
    }

    @Test(arguments: TestServer.modes)
    func idleTimeoutAndReaperLeaveAHealthyStreamOpen(mode: HTTPServerConfiguration.Mode) throws {
        // Heartbeat configured above the idle timeout: the server caps it at half of it.
        try Self.with(mode: mode, configure: {
            $0.idleTimeout = 1
            $0.streamHeartbeat = .seconds(15)
            $0.requestHeadTimeout = .milliseconds(200)
            $0.requestBodyTimeout = .milliseconds(200)
        }) { harness in
            let client = try StreamTestClient(port: harness.port, path: "/count")
            client.drain(for: .seconds(3))
            #expect(!client.closed)
            #expect(client.text.contains(": hb\n\n"))
            harness.mark.advance(to: 1)
            #expect(client.read(until: "line 1\n"))
        }
    }

    @Test(arguments: TestServer.modes)
    func streamsBeyondTheLimitAre503AndASlotFreesWhenAPeerGoes(mode: HTTPServerConfiguration.Mode) throws {
        try Self.with(mode: mode, configure: { $0.streamLimit = 1 }) { harness in
            let first = try StreamTestClient(port: harness.port, path: "/count")
            #expect(first.read { $0.status == 200 })
            let refused = try HTTPTestClient(port: harness.port).send(path: "/count")
            #expect(refused.status == 503)
            #expect((try refused.json()["error"] as? [String: Any])?["code"] as? String == "unavailable")
            #expect(eventually { harness.log.all.count == 2 && (harness.log.all[1] as? CountingStream)?.isClosed == true })

            // The peer goes away: the next heartbeat fails to write, the stream is closed and freed.
            first.close()
            #expect(eventually { (harness.log.all[0] as? CountingStream)?.isClosed == true })
            let second = try StreamTestClient(port: harness.port, path: "/count")
            #expect(second.read { $0.status == 200 })
            #expect(harness.server.metrics.openStreams == 1)
            #expect(harness.server.metrics.prometheusText().contains("tollgate_http_open_streams 1\n"))
        }
    }

    @Test(arguments: TestServer.modes)
    func consumerThatLeavesIsNoticedBeforeTheNextHeartbeat(mode: HTTPServerConfiguration.Mode) throws {
        try Self.with(mode: mode, configure: { $0.streamHeartbeat = .seconds(600); $0.idleTimeout = 0; $0.streamLimit = 1 }) { harness in
            let first = try StreamTestClient(port: harness.port, path: "/count")
            harness.mark.advance(to: 1)
            #expect(first.read(until: "line 1\n"))
            first.close()
            // No heartbeat is due for ten minutes: the EOF on its socket ends the stream and frees the slot.
            #expect(eventually(timeout: .seconds(10)) { (harness.log.all[0] as? CountingStream)?.isClosed == true })
            let second = try StreamTestClient(port: harness.port, path: "/count")
            #expect(second.read { $0.status == 200 })
        }
    }

    @Test(arguments: TestServer.modes)
    func stalledConsumerHoldsBackNeitherOtherStreamsNorQuickRequests(mode: HTTPServerConfiguration.Mode) throws {
        try Self.with(mode: mode, configure: { $0.idleTimeout = 2 }) { harness in
            // Never reads: its socket buffers fill and the server's writes to it would block.
            let stalled = try StreamTestClient(port: harness.port, path: "/flood", receiveBuffer: 4096)
            let stalledCounting = try StreamTestClient(port: harness.port, path: "/count", receiveBuffer: 4096)
            Thread.sleep(forTimeInterval: 0.3)
            let reader = try StreamTestClient(port: harness.port, path: "/count")
            for position in 1...50 {
                harness.mark.advance(to: Int64(position))
                #expect(reader.read(until: "line \(position)\n"))
            }
            for path in ["/healthz", "/pool"] {
                let quick = try HTTPTestClient(port: harness.port, timeout: .seconds(5)).send(path: path)
                #expect(quick.status == 200)
            }
            // The stalled flood consumer is closed once the idle timeout passes without progress.
            #expect(eventually(timeout: .seconds(20)) { harness.log.all.contains { ($0 as? FloodStream)?.isClosed == true } })
            withExtendedLifetime((stalled, stalledCounting)) {}
        }
    }

    @Test(arguments: TestServer.modes)
    func shutdownEndsOpenStreams(mode: HTTPServerConfiguration.Mode) throws {
        let mark = Watermark()
        let router = Router()
        let log = StreamLog()
        router.register(.GET, "/count") { _ in
            let stream = CountingStream(mark: mark)
            log.add(stream)
            return .stream(stream, heartbeat: Self.heartbeat)
        }
        let logs = MemoryLogSink()
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(port: 0, mode: mode), router: router,
            logger: Logger(label: "test", level: .info, sink: logs))
        try server.start()
        let clients = try (0..<3).map { _ in try StreamTestClient(port: server.port, path: "/count") }
        for client in clients { #expect(client.read { $0.status == 200 }) }
        server.shutdown(timeout: .seconds(20))
        // The streams ended when draining began; none was still in flight at the deadline.
        #expect(!logs.lines.contains { $0.contains("requests unfinished") })
        for client in clients { #expect(client.read { $0.ended || $0.closed }) }
        #expect(log.all.allSatisfy { ($0 as? CountingStream)?.isClosed == true })
        #expect(server.metrics.inFlightRequests == 0)
    }
}
