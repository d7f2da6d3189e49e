import Foundation
import TollgateBase
import Synchronization
import TollgateHTTPServer
import TollgateLogging
import TollgateStripe

/// A scripted fake Stripe on a real socket (TollgateHTTPServer, 127.0.0.1, port 0). Each request
/// to `/v1/things…` gets the next scripted answer (the last one repeats) and is recorded;
/// `GET /v1/customers` pages through `listed` (ids) as Stripe does (`limit`, `starting_after`).
final class FakeStripe: Sendable {
    /// One scripted answer.
    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders = [:]
        var body: String = "{}"
        /// Seconds to wait before answering.
        var delay: Double = 0
    }

    /// What the fake received.
    struct Attempt: Sendable {
        var method: String
        var path: String
        var query: [String: String]
        var headers: HTTPHeaders
        var body: String
    }

    let server: HTTPServer
    private let script: Mutex<[Answer]>
    private let log = Mutex<[Attempt]>([])

    init(_ script: [Answer] = [], listed: [String] = []) throws {
        self.script = Mutex(script)
        let router = Router()
        server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), router: router, logger: .disabled)
        for pattern in ["/v1/things", "/v1/things/{id}"] {
            for method in [HTTPMethod.GET, .POST, .DELETE] {
                router.register(method, pattern) { [self] request in try self.answer(request) }
            }
        }
        router.register(.GET, "/v1/customers") { [self] request in
            record(request)
            let limit = request.queryValue("limit").flatMap { Int($0) } ?? 10
            var start = 0
            if let after = request.queryValue("starting_after"), let index = listed.firstIndex(of: after) { start = index + 1 }
            let page = listed[min(start, listed.count)..<min(start + limit, listed.count)]
            let data = page.map { #"{"id":"\#($0)","object":"customer"}"# }.joined(separator: ",")
            let hasMore = start + limit < listed.count
            return HTTPResponse(status: 200, body: Array(#"{"object":"list","url":"/v1/customers","has_more":\#(hasMore),"data":[\#(data)]}"#.utf8))
        }
        try server.start()
    }

    private func record(_ request: HTTPRequest) {
        var query: [String: String] = [:]
        for (name, value) in request.query { query[name] = value }
        log.withLock {
            $0.append(Attempt(method: request.method.rawValue, path: request.path, query: query, headers: request.headers, body: String(decoding: request.body, as: UTF8.self)))
        }
    }

    deinit { server.shutdown(timeout: .seconds(5)) }

    var baseURL: String { "http://127.0.0.1:\(server.port)" }
    var attempts: [Attempt] { log.withLock { $0 } }

    /// A client for this fake with fast retries.
    func client(
        maxRetries: Int = 2, timeout: Duration = .seconds(5), maxRetryAfter: Duration = .seconds(2), key: String = "sk_test_fake", logger: Logger = .disabled,
        metrics: MetricsRegistry = MetricsRegistry()
    ) -> StripeClient {
        let configuration = StripeConfiguration(
            apiKey: StripeAPIKey(key), baseURL: baseURL, timeout: timeout, maxRetries: maxRetries,
            initialRetryDelay: .milliseconds(5), maxRetryDelay: .milliseconds(20), maxRetryAfter: maxRetryAfter)
        return StripeClient(configuration: configuration, logger: logger, metrics: metrics)
    }

    private func answer(_ request: HTTPRequest) throws -> HTTPResponse {
        record(request)
        let next = script.withLock { script -> Answer in
            guard let first = script.first else { return Answer(status: 500, body: #"{"error":{"type":"api_error","message":"script exhausted"}}"#) }
            if script.count > 1 { script.removeFirst() }
            return first
        }
        if next.delay > 0 { Thread.sleep(forTimeInterval: next.delay) }
        var headers = next.headers
        headers.set("Content-Type", "application/json")
        // The body may quote the Authorization header, to prove the client redacts the key.
        let body = next.body.replacingOccurrences(of: "{{authorization}}", with: request.headers["Authorization"] ?? "")
        return HTTPResponse(status: next.status, headers: headers, body: Array(body.utf8))
    }
}

extension FakeStripe.Answer {
    static func ok(_ body: String = #"{"id":"thing_1","object":"thing"}"#) -> Self { .init(status: 200, body: body) }

    static func error(_ status: Int, type: String = "api_error", code: String? = nil, message: String = "failed", headers: HTTPHeaders = [:]) -> Self {
        let codeField = code.map { #","code":"\#($0)""# } ?? ""
        return .init(status: status, headers: headers, body: #"{"error":{"type":"\#(type)"\#(codeField),"message":"\#(message)"}}"#)
    }
}
