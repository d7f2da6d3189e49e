import Foundation
import Synchronization
import TollgateHTTPServer
import TollgateLogging
import TollgateTestSupport
import TollgateBase

struct SecretFailure: Error, CustomStringConvertible {
    var description: String { "secret-sauce exploded" }
}

struct EchoBody: Codable, Equatable {
    var message: String
    var count: Int
}

/// Counts requests that reached the middleware, and denies those with `X-Deny`.
final class CountingMiddleware: Middleware {
    let seen = Atomic<Int>(0)

    func handle(_ request: HTTPRequest, next: (HTTPRequest) throws -> HTTPResponse) throws -> HTTPResponse {
        seen.add(1, ordering: .relaxed)
        if request.headers["X-Deny"] != nil { throw HTTPError.forbidden("denied by middleware") }
        var response = try next(request)
        response.headers.set("X-Middleware", "ran")
        return response
    }
}

/// A running server with the test routes, stopped at the end of `body`.
struct TestServer {
    static let modes: [HTTPServerConfiguration.Mode] = [.epoll(workerThreads: 4), .threadPerConnection]

    let server: HTTPServer
    let middleware: CountingMiddleware
    let logs: MemoryLogSink
    var port: Int { server.port }

    static func router() -> Router {
        let router = Router()
        router.register(.POST, "/echo") { request in
            let body: EchoBody = try request.decodeJSON()
            return try .json(body, headers: ["X-Seen-Request-Id": request.requestID])
        }
        router.register(.GET, "/inline", options: RouteOptions(runsOnWorkerPool: false)) { _ in
            .text(ThreadName.current)
        }
        router.register(.GET, "/pool") { _ in
            .text(ThreadName.current)
        }
        router.register(.GET, "/slow") { request in
            let millis = request.queryValue("ms").flatMap(Int.init) ?? 1000
            Thread.sleep(forTimeInterval: Double(millis) / 1000)
            return .text("slow done")
        }
        router.register(.GET, "/fail") { request in
            request.logger.info("about to fail")
            throw SecretFailure()
        }
        router.register(.POST, "/upload") { request in
            .text(String(request.body.count))
        }
        router.register(.GET, "/query") { request in
            var fields: [String: String] = [:]
            for (name, value) in request.query { fields[name] = value }
            return try .json(fields)
        }
        router.register(.GET, "/keys/{id}") { request in
            .text("key " + (try request.pathParameter("id")))
        }
        router.register(.GET, "/keys/search") { _ in .text("search") }
        router.register(.GET, "/bad-status") { _ in HTTPResponse(status: 42) }
        router.register(.GET, "/healthz", options: RouteOptions(runsOnWorkerPool: false)) { _ in .text("ok") }
        return router
    }

    static func start(
        mode: HTTPServerConfiguration.Mode = .epoll(workerThreads: 4), idleTimeout: Int = 30,
        configure: (inout HTTPServerConfiguration) -> Void = { _ in }
    ) throws -> TestServer {
        let logs = MemoryLogSink()
        let middleware = CountingMiddleware()
        var configuration = HTTPServerConfiguration(port: 0, idleTimeout: idleTimeout, mode: mode)
        configure(&configuration)
        let server = HTTPServer(
            configuration: configuration, router: router(), middleware: [middleware],
            logger: Logger(label: "test", level: .debug, sink: logs))
        try server.start()
        return TestServer(server: server, middleware: middleware, logs: logs)
    }

    static func with<T>(
        mode: HTTPServerConfiguration.Mode = .epoll(workerThreads: 4), idleTimeout: Int = 30,
        configure: (inout HTTPServerConfiguration) -> Void = { _ in },
        _ body: (TestServer) throws -> T
    ) throws -> T {
        let running = try start(mode: mode, idleTimeout: idleTimeout, configure: configure)
        defer { running.server.shutdown(timeout: .seconds(5)) }
        return try body(running)
    }
}

/// Runs `body` on a new thread; `wait()` returns its result.
final class Background<T: Sendable>: Sendable {
    private let result = Mutex<Result<T, any Error>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () throws -> T) {
        let thread = Thread { [self] in
            let outcome = Result { try body() }
            self.result.withLock { $0 = outcome }
            self.done.signal()
        }
        thread.start()
    }

    func wait(timeout: Duration = .seconds(30)) throws -> T {
        let seconds = Double(timeout.components.seconds)
        guard done.wait(timeout: .now() + seconds) == .success else { throw HTTPTestClientError("background work timed out") }
        done.signal()
        guard let outcome = result.withLock({ $0 }) else { throw HTTPTestClientError("no result") }
        return try outcome.get()
    }
}
