import Foundation
import Synchronization
import Testing
import TollgateHTTPClient
import TollgateHTTPServer
import TollgateLogging

/// A real TollgateHTTPServer on 127.0.0.1, port 0, with routes that answer what the tests need.
private final class Peer: Sendable {
    let server: HTTPServer
    var base: String { "http://127.0.0.1:\(server.port)" }

    init() throws {
        let router = Router()
        router.register(.GET, "/hello") { _ in
            HTTPResponse(status: 200, headers: ["X-Answer": "42", "Content-Type": "text/plain"], body: Array("hello".utf8))
        }
        for method in [HTTPMethod.POST, .PUT, .PATCH, .DELETE] {
            router.register(method, "/echo") { request in
                var headers = HTTPHeaders()
                headers.add("X-Method", request.method.rawValue)
                headers.add("X-Content-Type", request.headers["Content-Type"] ?? "")
                headers.add("X-Custom", request.headers["x-custom"] ?? "")
                return HTTPResponse(status: 201, headers: headers, body: request.body)
            }
        }
        router.register(.GET, "/status/{code}") { request in
            HTTPResponse(status: Int(try request.pathParameter("code")) ?? 500, body: Array("status".utf8))
        }
        router.register(.GET, "/slow") { _ in
            Thread.sleep(forTimeInterval: 1.5)
            return .text("late")
        }
        router.register(.GET, "/big") { _ in HTTPResponse(status: 200, body: [UInt8](repeating: 65, count: 100_000)) }
        server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), router: router, logger: .disabled)
        try server.start()
    }

    deinit { server.shutdown(timeout: .seconds(5)) }
}

@Suite struct HTTPClientTests {
    @Test func getReturnsStatusHeadersAndBody() throws {
        let peer = try Peer()
        let response = try HTTPClient().perform(.init(url: peer.base + "/hello"))
        #expect(response.status == 200)
        #expect(response.text == "hello")
        #expect(response.headers["x-answer"] == "42")
        #expect(response.headers["X-ANSWER"] == "42")
        #expect(response.headers.values("content-type") == ["text/plain"])
    }

    @Test(arguments: [HTTPClient.Method.POST, .PUT, .PATCH, .DELETE])
    func bodyAndHeadersAreSent(method: HTTPClient.Method) throws {
        let peer = try Peer()
        let body = Array("a=1&b=%5B%5D&c=\u{e9}".utf8)
        let request = HTTPClient.Request(
            method: method, url: peer.base + "/echo",
            headers: ["Content-Type": "application/x-www-form-urlencoded", "X-Custom": "yes"], body: body)
        let response = try HTTPClient().perform(request)
        #expect(response.status == 201)
        #expect(response.body == body)
        #expect(response.headers["X-Method"] == method.rawValue)
        #expect(response.headers["X-Content-Type"] == "application/x-www-form-urlencoded")
        #expect(response.headers["X-Custom"] == "yes")
    }

    @Test func emptyPostBodyIsSent() throws {
        let peer = try Peer()
        let response = try HTTPClient().perform(.init(method: .POST, url: peer.base + "/echo"))
        #expect(response.status == 201)
        #expect(response.body.isEmpty)
    }

    @Test func errorStatusesAreResponsesNotErrors() throws {
        let peer = try Peer()
        let client = HTTPClient()
        #expect(try client.perform(.init(url: peer.base + "/status/503")).status == 503)
        #expect(try client.perform(.init(url: peer.base + "/status/404")).status == 404)
    }

    @Test func secondRequestReusesTheConnection() throws {
        let peer = try Peer()
        let client = HTTPClient()
        let first = try client.perform(.init(url: peer.base + "/hello"))
        let second = try client.perform(.init(url: peer.base + "/hello"))
        let third = try client.perform(.init(method: .POST, url: peer.base + "/echo", body: [1, 2, 3]))
        #expect(first.connectionsOpened == 1)
        #expect(second.connectionsOpened == 0)
        #expect(third.connectionsOpened == 0)
        #expect(peer.server.metrics.openConnections == 1)
        #expect(client.idleHandleCount == 1)
    }

    @Test func concurrentRequestsEachGetAHandle() throws {
        let peer = try Peer()
        let client = HTTPClient()
        let statuses = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<10 {
                let status = (try? client.perform(.init(url: peer.base + "/hello")).status) ?? -1
                statuses.withLock { $0.append(status) }
            }
        }
        #expect(statuses.withLock { $0 } == Array(repeating: 200, count: 80))
        #expect(client.idleHandleCount <= 4)
    }

    @Test func totalTimeoutIsATypedError() throws {
        let peer = try Peer()
        let started = ContinuousClock.now
        let error = #expect(throws: HTTPClientError.self) {
            try HTTPClient().perform(.init(url: peer.base + "/slow", headers: ["Authorization": "Bearer sk_test_secret"], timeout: .milliseconds(300)))
        }
        #expect(error?.code == .timedOut)
        #expect(error?.curlCode == 28)
        #expect(error?.isTransient == true)
        #expect(ContinuousClock.now - started < .seconds(1.2))
        #expect(error.map { "\($0)" }?.contains("sk_test_secret") == false)
    }

    @Test func refusedConnectionIsCouldNotConnect() throws {
        let port = try {
            let peer = try Peer()
            let port = peer.server.port
            peer.server.shutdown(timeout: .seconds(5))
            return port
        }()
        let error = #expect(throws: HTTPClientError.self) {
            try HTTPClient().perform(.init(url: "http://127.0.0.1:\(port)/hello", connectTimeout: .seconds(2)))
        }
        #expect(error?.code == .couldNotConnect)
        #expect(error?.message.isEmpty == false)
    }

    @Test func tlsToAPlainServerIsATLSError() throws {
        let peer = try Peer()
        let error = #expect(throws: HTTPClientError.self) {
            try HTTPClient().perform(.init(url: "https://127.0.0.1:\(peer.server.port)/hello", timeout: .seconds(5)))
        }
        #expect(error?.code == .tls)
        #expect(error?.isTransient == false)
    }

    @Test func oversizedBodyIsRejected() throws {
        let peer = try Peer()
        let client = HTTPClient(configuration: .init(maxResponseBytes: 10_000))
        let error = #expect(throws: HTTPClientError.self) { try client.perform(.init(url: peer.base + "/big")) }
        #expect(error?.code == .responseTooLarge)
        #expect(try HTTPClient().perform(.init(url: peer.base + "/big")).body.count == 100_000)
    }

    @Test func aTruncatingClientKeepsTheStatusAndCutsTheBody() throws {
        let peer = try Peer()
        let client = HTTPClient(configuration: .init(maxResponseBytes: 10_000, truncatesLargeResponses: true))
        let response = try client.perform(.init(url: peer.base + "/big"))
        #expect(response.status == 200 && response.bodyTruncated && response.body.count == 10_000)
        let small = try client.perform(.init(url: peer.base + "/hello"))
        #expect(small.status == 200 && !small.bodyTruncated)
    }

    @Test func headerInjectionIsRefusedBeforeSending() throws {
        let peer = try Peer()
        let error = #expect(throws: HTTPClientError.self) {
            try HTTPClient().perform(.init(url: peer.base + "/hello", headers: ["X-Evil": "a\r\nInjected: yes"]))
        }
        #expect(error?.code == .invalidRequest)
        #expect(error.map { "\($0)" }?.contains("Injected") == false)
    }

    @Test func unsupportedSchemeIsInvalidRequest() {
        let error = #expect(throws: HTTPClientError.self) { try HTTPClient().perform(.init(url: "file:///etc/passwd")) }
        #expect(error?.code == .invalidRequest)
    }
}
