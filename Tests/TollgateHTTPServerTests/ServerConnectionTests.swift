import Foundation
import Synchronization
import Testing
import TollgateHTTPServer
import TollgateTestSupport

/// Body limits, keep-alive, timeouts, concurrency and shutdown over real sockets.
@Suite struct ServerConnectionTests {
    static let limit = 1_048_576

    @Test(arguments: TestServer.modes, ["/upload", "/no-such-route"])
    func bodyOverTheLimitIsA413BeforeRouting(mode: HTTPServerConfiguration.Mode, path: String) throws {
        try TestServer.with(mode: mode) { server in
            let body = [UInt8](repeating: 0x61, count: Self.limit + 1)
            let declared = try HTTPTestClient(port: server.port).send(method: "POST", path: path, body: body)
            #expect(declared.status == 413)
            #expect((try declared.json()["error"] as? [String: Any])?["code"] as? String == "payload_too_large")
            #expect(declared.header("X-Request-Id") != nil)

            let chunked = try HTTPTestClient(port: server.port).sendChunked(path: path, body: body)
            #expect(chunked.status == 413)
            #expect(server.middleware.seen.load(ordering: .relaxed) == 0)
        }
    }

    @Test(arguments: TestServer.modes)
    func bodyOfExactlyTheLimitIsAccepted(mode: HTTPServerConfiguration.Mode) throws {
        try TestServer.with(mode: mode) { server in
            let body = [UInt8](repeating: 0x62, count: Self.limit)
            let client = try HTTPTestClient(port: server.port)
            #expect(try client.send(method: "POST", path: "/upload", body: body).text == String(Self.limit))
            #expect(try client.sendChunked(path: "/upload", body: body, chunkSize: 100_000).text == String(Self.limit))
        }
    }

    @Test(arguments: TestServer.modes)
    func keepAliveServesTwoRequestsOnOneSocket(mode: HTTPServerConfiguration.Mode) throws {
        try TestServer.with(mode: mode) { server in
            let client = try HTTPTestClient(port: server.port)
            let first = try client.send(path: "/pool")
            #expect(first.status == 200)
            #expect(first.header("Connection")?.lowercased() != "close")
            let second = try client.send(path: "/inline")
            #expect(second.status == 200)
            let third = try client.send(method: "POST", path: "/upload", body: Array("abc".utf8))
            #expect(third.text == "3")
            #expect(server.server.metrics.openConnections == 1)
            #expect(!client.isClosedByPeer(within: .milliseconds(100)))
        }
    }

    @Test(arguments: TestServer.modes)
    func idleConnectionIsClosedAfterTheTimeout(mode: HTTPServerConfiguration.Mode) throws {
        try TestServer.with(mode: mode, idleTimeout: 1) { server in
            let used = try HTTPTestClient(port: server.port)
            #expect(try used.send(path: "/inline").status == 200)
            let silent = try HTTPTestClient(port: server.port)
            #expect(used.isClosedByPeer(within: .seconds(4)))
            #expect(silent.isClosedByPeer(within: .seconds(4)))
            #expect(eventually { server.server.metrics.openConnections == 0 })
        }
    }

    @Test(arguments: TestServer.modes)
    func manyConcurrentKeepAliveClientsAllSucceed(mode: HTTPServerConfiguration.Mode) throws {
        try TestServer.with(mode: mode) { server in
            let port = server.port
            let workers = (0..<16).map { index in
                Background { () -> Int in
                    let client = try HTTPTestClient(port: port)
                    var ok = 0
                    for round in 0..<8 {
                        let body = Array(#"{"message":"c\#(index)-\#(round)","count":\#(round)}"#.utf8)
                        let echo = try client.send(
                            method: "POST", path: "/echo", headers: [("Content-Type", "application/json")], body: body)
                        let inline = try client.send(path: "/inline")
                        if echo.status == 200, (try? echo.decode(EchoBody.self))?.message == "c\(index)-\(round)", inline.status == 200 {
                            ok += 1
                        }
                    }
                    return ok
                }
            }
            let results = try workers.map { try $0.wait() }
            #expect(results == Array(repeating: 8, count: 16))
            #expect(eventually { server.server.metrics.requestCount(method: "POST", route: "/echo", status: 200) == 128 })
        }
    }

    @Test(arguments: TestServer.modes)
    func gracefulShutdownFinishesInFlightAndRefusesNew(mode: HTTPServerConfiguration.Mode) throws {
        let server = try TestServer.start(mode: mode)
        let port = server.port
        let slow = Background { try HTTPTestClient.request(port: port, path: "/slow") }
        #expect(eventually { server.server.metrics.inFlightRequests == 1 })
        let stopper = Background { [server] in server.server.shutdown(timeout: .seconds(10)) }
        // While the slow request is still running, new connections are refused.
        #expect(eventually(timeout: .seconds(3)) { (try? HTTPTestClient(port: port)) == nil })
        let response = try slow.wait()
        #expect(response.status == 200)
        #expect(response.text == "slow done")
        #expect(response.header("Connection")?.lowercased() == "close")
        try stopper.wait()
        #expect(throws: HTTPTestClientError.self) { try HTTPTestClient(port: port) }
        server.server.shutdown(timeout: .seconds(1))  // idempotent
    }

    @Test func shutdownDeadlineAnswersStuckWorkersAndStops() throws {
        let server = try TestServer.start(mode: .epoll(workerThreads: 2))
        let port = server.port
        let slow = Background { try HTTPTestClient.request(port: port, path: "/slow?ms=4000") }
        #expect(eventually { server.server.metrics.inFlightRequests == 1 })
        let started = ContinuousClock.now
        server.server.shutdown(timeout: .milliseconds(50))
        // Generous bound: the handler sleeps 4 s, shutdown must not wait for it.
        #expect(ContinuousClock.now - started < .seconds(3))
        // The client sees its connection end (a 503, or closed before it was sent), long
        // before the handler would have answered.
        let outcome = Result { try slow.wait(timeout: .seconds(3)) }
        switch outcome {
        case .success(let response): #expect(response.status == 503)
        case .failure(let error): #expect(error is HTTPTestClientError)
        }
        #expect(ContinuousClock.now - started < .seconds(3.5))
    }

    @Test func partialRequestThenCloseDoesNotLeakAnInFlightRequest() throws {
        try TestServer.with { server in
            let client = try HTTPTestClient(port: server.port)
            try client.sendRaw(Array("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc".utf8))
            #expect(eventually { server.server.metrics.inFlightRequests == 1 })
            client.close()
            #expect(eventually { server.server.metrics.inFlightRequests == 0 && server.server.metrics.openConnections == 0 })
        }
    }

    @Test func malformedRequestLineIsRejectedByTheServer() throws {
        try TestServer.with { server in
            let client = try HTTPTestClient(port: server.port)
            try client.sendRaw(Array("NOT A REQUEST\r\n\r\n".utf8))
            let response = try client.readResponse()
            #expect(response.status == 400 || response.status == 505)
            #expect(response.header("Content-Type") == "application/json")
            #expect((try response.json()["error"] as? [String: Any])?["code"] is String)
        }
    }
}
