import Foundation
import Testing
import TollgateHTTPServer
import TollgateTestSupport

/// Hostile input over raw sockets, in both threading modes: whatever the server sends back is
/// either nothing (a clean close) or exactly one well-formed response with the JSON error body,
/// and the server answers `/healthz` afterwards. Deadlines are short here through the
/// configuration; nothing asserts a duration.
@Suite struct BadInputTests {
    enum BadInput: String, CaseIterable, CustomStringConvertible, Sendable {
        case trickledHead, trickledBody, chunkedOverLimit, hugeHeader, manyHeaders, manyQueryParameters
        case negativeContentLength, nonNumericContentLength, contentLengthOver64Bits

        var description: String { rawValue }

        /// What the server must answer: nil for a clean close without a byte.
        var expected: RawOutcome {
            switch self {
            case .trickledHead, .trickledBody: .nothing
            case .chunkedOverLimit, .contentLengthOver64Bits: .errorBody(status: 413, code: "payload_too_large")
            case .hugeHeader, .manyHeaders: .errorBody(status: 431, code: "header_fields_too_large")
            case .manyQueryParameters: .errorBody(status: 414, code: "uri_too_long")
            case .negativeContentLength, .nonNumericContentLength: .errorBody(status: 400, code: "bad_request")
            }
        }

        /// The whole request, for the inputs that are sent at once.
        var request: [UInt8] {
            let close = "Host: x\r\nConnection: close\r\n"
            switch self {
            case .trickledHead, .trickledBody:
                return []
            case .chunkedOverLimit:
                var bytes = Array("POST /upload HTTP/1.1\r\n\(close)Transfer-Encoding: chunked\r\n\r\n".utf8)
                let chunk = [UInt8](repeating: 0x61, count: 64 * 1024)
                for _ in 0..<48 {  // 3 MiB: more than twice the 1 MiB limit
                    bytes += Array("10000\r\n".utf8) + chunk + Array("\r\n".utf8)
                }
                return bytes + Array("0\r\n\r\n".utf8)
            case .hugeHeader:
                return Array("GET /inline HTTP/1.1\r\n\(close)X-Huge: \(String(repeating: "h", count: 100_000))\r\n\r\n".utf8)
            case .manyHeaders:
                let headers = (0..<50).map { "X-Many-\($0): \(String(repeating: "m", count: 2048))\r\n" }.joined()
                return Array("GET /inline HTTP/1.1\r\n\(close)\(headers)\r\n".utf8)
            case .manyQueryParameters:
                let query = (0..<10_000).map { "p\($0)=\($0)" }.joined(separator: "&")
                return Array("GET /query?\(query) HTTP/1.1\r\n\(close)\r\n".utf8)
            case .negativeContentLength:
                return Array("POST /upload HTTP/1.1\r\n\(close)Content-Length: -1\r\n\r\n".utf8)
            case .nonNumericContentLength:
                return Array("POST /upload HTTP/1.1\r\n\(close)Content-Length: ten\r\n\r\nabcdefghij".utf8)
            case .contentLengthOver64Bits:
                return Array("POST /upload HTTP/1.1\r\n\(close)Content-Length: 99999999999999999999999\r\n\r\n".utf8)
            }
        }
    }

    private static func configure(_ configuration: inout HTTPServerConfiguration) {
        configuration.requestHeadTimeout = .seconds(1)
        configuration.requestBodyTimeout = .seconds(1)
    }

    @Test(arguments: TestServer.modes, BadInput.allCases)
    func badInputGetsTheJSONErrorBodyOrACleanClose(mode: HTTPServerConfiguration.Mode, input: BadInput) throws {
        try TestServer.with(mode: mode, configure: Self.configure) { server in
            let connection = try RawConnection(port: server.port)
            var received: [UInt8] = []
            var closed = false
            switch input {
            case .trickledHead:
                closed = trickle(connection, start: "GET /inline HTTP/1.1\r\nHost: x\r\nX-Slow: ", received: &received)
            case .trickledBody:
                closed = trickle(
                    connection, start: "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", received: &received)
            default:
                connection.write(input.request)
                let outcome = connection.readUntilClosed(timeout: .seconds(10))
                received = outcome.bytes
                closed = outcome.end == .closed
            }
            #expect(closed, "the server kept the connection open")
            #expect(RawOutcome(received) == input.expected)
            let health = try HTTPTestClient.request(port: server.port, path: "/healthz", timeout: .seconds(5))
            #expect(health.status == 200)
        }
    }

    /// Sends `start`, then one byte every 100 ms (well inside the idle timeout) until the server
    /// closes the connection or 8 s pass; true when it closed.
    private func trickle(_ connection: RawConnection, start: String, received: inout [UInt8]) -> Bool {
        guard connection.write(start) else { return true }
        let deadline = ContinuousClock.now + .seconds(8)
        while ContinuousClock.now < deadline {
            if connection.isClosed(within: .milliseconds(100), received: &received) { return true }
            guard connection.write("a") else { return true }
        }
        return false
    }

    @Test(arguments: TestServer.modes)
    func healthzAnswersWhileTricklingClientsHoldTheConnectionLimit(mode: HTTPServerConfiguration.Mode) throws {
        let limit = 8
        // Deadlines far beyond the test, so the tricklers are never reaped (that is the other test):
        // here only shedding makes room, and it must never shed the probe while they are there.
        try TestServer.with(mode: mode, configure: {
            $0.connectionLimit = limit
            $0.requestHeadTimeout = .seconds(600)
            $0.requestBodyTimeout = .seconds(600)
        }) { server in
            let start = "GET /inline HTTP/1.1\r\nHost: x\r\nX-Slow: "
            var tricklers: [RawConnection] = []
            for round in 0..<4 {
                // Keep the limit held: every trickler sends a byte; one that was closed is replaced.
                tricklers = try tricklers.map { trickler in
                    var ignored: [UInt8] = []
                    if !trickler.isClosed(within: .milliseconds(10), received: &ignored), trickler.write("s") { return trickler }
                    let fresh = try RawConnection(port: server.port)
                    #expect(fresh.write(start))
                    return fresh
                }
                while tricklers.count < limit {
                    let fresh = try RawConnection(port: server.port)
                    #expect(fresh.write(start))
                    tricklers.append(fresh)
                }
                // The last probe made the server shed a trickler, which a busy machine may show the
                // client late: replace the ones seen closed until the server counts the limit as
                // held. Never more than `limit` of them, so the server's own cap (limit + headroom)
                // is never what refuses the probe.
                let deadline = ContinuousClock.now + .seconds(20)
                while server.server.metrics.openConnections < limit, ContinuousClock.now < deadline {
                    tricklers = try tricklers.map { trickler in
                        var ignored: [UInt8] = []
                        guard trickler.isClosed(within: .milliseconds(10), received: &ignored) else { return trickler }
                        let fresh = try RawConnection(port: server.port)
                        #expect(fresh.write(start))
                        return fresh
                    }
                    Thread.sleep(forTimeInterval: 0.02)
                }
                #expect(server.server.metrics.openConnections >= limit, "round \(round)")
                let health = try HTTPTestClient.request(port: server.port, path: "/healthz", timeout: .seconds(5))
                #expect(health.status == 200, "round \(round)")
                #expect(health.text == "ok")
            }
        }
    }

    @Test(arguments: TestServer.modes)
    func idleKeepAliveConnectionOutlivesTheRequestDeadlines(mode: HTTPServerConfiguration.Mode) throws {
        try TestServer.with(mode: mode, configure: Self.configure) { server in
            let client = try HTTPTestClient(port: server.port)
            #expect(try client.send(path: "/inline").status == 200)
            // Silent for longer than both request deadlines, well inside the idle timeout.
            #expect(!client.isClosedByPeer(within: .milliseconds(2500)))
            #expect(try client.send(path: "/healthz").status == 200)
        }
    }
}
