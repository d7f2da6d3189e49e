import Foundation
import Synchronization
import Testing
import TollgateBase
import TollgateHTTPClient
import TollgateHTTPServer
import TollgateLogging

/// A request's trace, end to end over real sockets: the caller's `traceparent` is joined (or a
/// trace started), every log line of the request carries it — the handler's, a logger that knows
/// nothing of the request, the access line — and the call the handler makes passes it on.
/// The downstream service: remembers the trace headers of each call.
private final class Downstream: Sendable {
    final class Calls: Sendable {
        let list = Mutex<[(parent: String?, state: String?)]>([])
    }

    let server: HTTPServer
    let calls = Calls()

    init() throws {
        let router = Router()
        let calls = self.calls
        router.register(.GET, "/downstream") { request in
            calls.list.withLock { $0.append((request.headers["traceparent"], request.headers["tracestate"])) }
            return .text("ok")
        }
        server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), router: router, logger: .disabled)
        try server.start()
    }

    var seen: [(parent: String?, state: String?)] { calls.list.withLock { $0 } }
}

@Suite(.serialized) struct TracePropagationTests {
    /// The service under test: its handler logs twice and calls downstream.
    private static func withFront<T>(downstream: Downstream, _ body: (_ port: Int, _ logs: MemoryLogSink) throws -> T) throws -> T {
        let logs = MemoryLogSink()
        let logger = Logger(label: "front", level: .info, sink: logs)
        let client = HTTPClient()
        let router = Router()
        let url = "http://127.0.0.1:\(downstream.server.port)/downstream"
        router.register(.GET, "/work") { request in
            request.logger.info("handler line")
            logger.labeled("elsewhere").info("a line from code that has no request")
            let answer = try client.perform(.init(url: url))
            return .text("downstream said \(answer.status)")
        }
        var configuration = HTTPServerConfiguration(port: 0)
        configuration.accessLogLevel = .info
        let server = HTTPServer(configuration: configuration, router: router, logger: logger)
        try server.start()
        defer { server.shutdown(timeout: .seconds(5)) }
        return try body(server.port, logs)
    }

    static func get(port: Int, headers: [String: String]) throws -> Int {
        var fields = HTTPClient.Headers()
        for (name, value) in headers { fields.add(name, value) }
        return try HTTPClient().perform(.init(url: "http://127.0.0.1:\(port)/work", headers: fields)).status
    }

    static func fields(_ line: String) -> [String: String] {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]) ?? [:]
    }

    @Test func aCallersTraceIsJoinedLoggedAndPassedOn() throws {
        let downstream = try Downstream()
        defer { downstream.server.shutdown(timeout: .seconds(5)) }
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        try Self.withFront(downstream: downstream) { port, logs in
            let before = logs.lines.count  // the start-up line
            #expect(try Self.get(port: port, headers: ["traceparent": parent, "tracestate": "congo=t61rcWkgMzE"]) == 200)
            let lines = try #require(Self.waitForLines(logs, count: before + 3)).dropFirst(before).map(Self.fields)
            #expect(Set(lines.compactMap { $0["msg"] }) == ["handler line", "a line from code that has no request", "request"])
            #expect(lines.allSatisfy { $0["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736" })
            let spans = Set(lines.compactMap { $0["span_id"] })
            #expect(spans.count == 1 && spans.first != "00f067aa0ba902b7", "one span of the request's own")
            let call = try #require(downstream.seen.last)
            #expect(call.parent == "00-4bf92f3577b34da6a3ce929d0e0e4736-\(spans.first ?? "")-01")
            #expect(call.state == "congo=t61rcWkgMzE")
        }
    }

    @Test(arguments: [nil, "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "garbage"])
    func withoutAValidParentEachRequestStartsATrace(_ parent: String?) throws {
        let downstream = try Downstream()
        defer { downstream.server.shutdown(timeout: .seconds(5)) }
        try Self.withFront(downstream: downstream) { port, logs in
            let headers = parent.map { ["traceparent": $0] } ?? [:]
            let before = logs.lines.count
            for _ in 0..<2 { #expect(try Self.get(port: port, headers: headers) == 200) }
            let lines = try #require(Self.waitForLines(logs, count: before + 6)).dropFirst(before).map(Self.fields)
            let traces = Set(lines.compactMap { $0["trace_id"] })
            #expect(traces.count == 2 && !traces.contains("4bf92f3577b34da6a3ce929d0e0e4736"))
            let calls = downstream.seen
            #expect(calls.count == 2)
            #expect(Set(calls.compactMap { $0.parent.flatMap(TraceContext.Parent.init) }.map { Hex.words($0.traceHigh, $0.traceLow) }) == traces)
            #expect(calls.allSatisfy { $0.parent?.hasSuffix("-01") == true && $0.state == nil })
        }
    }

    @Test func aCallThatSetsItsOwnTraceparentKeepsIt() throws {
        let downstream = try Downstream()
        defer { downstream.server.shutdown(timeout: .seconds(5)) }
        let own = "00-11111111111111111111111111111111-2222222222222222-00"
        try TraceContext.startingTrace {
            _ = try HTTPClient().perform(.init(url: "http://127.0.0.1:\(downstream.server.port)/downstream", headers: ["traceparent": own]))
        }
        _ = try HTTPClient().perform(.init(url: "http://127.0.0.1:\(downstream.server.port)/downstream"))
        let calls = downstream.seen
        #expect(calls.map(\.parent) == [own, nil], "outside any operation nothing is sent")
    }

    /// The access line is written when the response has gone; wait for it.
    static func waitForLines(_ logs: MemoryLogSink, count: Int) -> [String]? {
        for _ in 0..<200 {
            let lines = logs.lines
            if lines.count >= count { return lines }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return nil
    }
}
