import Foundation
import Synchronization
package import TollgateBase

/// The server's request metrics, rendered in the Prometheus text exposition format.
///
/// * `tollgate_http_requests_total{method,route,status}`: answered requests; `route` is the
///   matched pattern or `unmatched` (404, 405, 413 before routing).
/// * `tollgate_http_request_duration_seconds{route}`: a histogram from the moment the request's
///   headers arrived to the moment its response was sent.
/// * `tollgate_http_in_flight_requests`: requests whose headers arrived and whose response is not
///   yet sent.
/// * `tollgate_http_open_connections`: open client connections.
package final class HTTPMetrics: Sendable {
    /// Upper bounds of the latency buckets, in seconds (`+Inf` is implied).
    package static let latencyBuckets: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    private struct RequestKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    private struct Histogram {
        var counts = [UInt64](repeating: 0, count: HTTPMetrics.latencyBuckets.count)
        var sum = 0.0
        var count: UInt64 = 0
    }

    private struct State {
        var requests: [RequestKey: UInt64] = [:]
        var latency: [String: Histogram] = [:]
    }

    /// One part of the counters. Each thread records into the shard its id picks, so that
    /// dozens of connection threads do not queue on one lock (measured: a single `Mutex` took
    /// 38 % of the CPU in thread-per-connection mode under wrk); reads merge the shards.
    private final class Shard: Sendable {
        let state = Mutex(State())
    }

    private static let shardCount = 16
    private let shards: [Shard] = (0..<HTTPMetrics.shardCount).map { _ in Shard() }
    private let inFlight = Atomic<Int>(0)
    private let connections = Atomic<Int>(0)
    private let streams = Atomic<Int>(0)

    package init() {}

    /// Counts one answered request and its duration.
    package func record(method: String, route: String, status: Int, duration: Duration) {
        let seconds = duration.seconds
        let bucket = Self.latencyBuckets.firstIndex { seconds <= $0 }
        let id = UInt(pthread_self())  // Linux: pthread_t is the thread's address, unique while it runs
        let shard = shards[Int((id >> 8 ^ id >> 16 ^ id >> 24) % UInt(Self.shardCount))]
        shard.state.withLock { state in
            state.requests[RequestKey(method: method, route: route, status: status), default: 0] += 1
            var histogram = state.latency[route] ?? Histogram()
            if let bucket { histogram.counts[bucket] += 1 }
            histogram.sum += seconds
            histogram.count += 1
            state.latency[route] = histogram
        }
    }

    /// The number of answered requests with this method, route label and status.
    package func requestCount(method: String, route: String, status: Int) -> Int {
        let key = RequestKey(method: method, route: route, status: status)
        return shards.reduce(0) { $0 + Int($1.state.withLock { $0.requests[key] ?? 0 }) }
    }

    /// Requests whose headers arrived and whose response is not yet sent.
    package var inFlightRequests: Int { inFlight.load(ordering: .relaxed) }

    /// Client connections open now.
    package var openConnections: Int { connections.load(ordering: .relaxed) }

    func requestStarted() { inFlight.add(1, ordering: .relaxed) }
    func requestFinished() { inFlight.subtract(1, ordering: .relaxed) }
    func connectionOpened() { connections.add(1, ordering: .relaxed) }
    func connectionClosed() { connections.subtract(1, ordering: .relaxed) }
    /// Streamed responses open now (Server-Sent Events; they count as in flight too).
    package var openStreams: Int { streams.load(ordering: .relaxed) }
    func streamOpened() { streams.add(1, ordering: .relaxed) }
    func streamClosed() { streams.subtract(1, ordering: .relaxed) }

    /// All metrics in the Prometheus text exposition format (version 0.0.4), series sorted.
    package func prometheusText() -> String {
        var text = PrometheusText()
        render(into: &text)
        return text.text
    }

    /// Appends the metrics to `text`.
    package func render(into text: inout PrometheusText) {
        let (requests, latency) = merged()
        text.family("tollgate_http_requests_total", .counter, help: "HTTP requests answered, by method, route and status.")
        let keys = requests.keys.sorted { ($0.route, $0.method, $0.status) < ($1.route, $1.method, $1.status) }
        for key in keys {
            text.sample("tollgate_http_requests_total", [("method", key.method), ("route", key.route), ("status", String(key.status))], requests[key] ?? 0)
        }
        text.family("tollgate_http_request_duration_seconds", .histogram, help: "Time from request headers to response sent, by route.")
        for route in latency.keys.sorted() {
            guard let histogram = latency[route] else { continue }
            text.histogram(
                "tollgate_http_request_duration_seconds", [("route", route)], bounds: Self.latencyBuckets, counts: histogram.counts,
                sum: histogram.sum, count: histogram.count)
        }
        text.family("tollgate_http_in_flight_requests", .gauge, help: "Requests received and not yet answered.")
        text.sample("tollgate_http_in_flight_requests", [], inFlightRequests)
        text.family("tollgate_http_open_connections", .gauge, help: "Open client connections.")
        text.sample("tollgate_http_open_connections", [], openConnections)
        text.family("tollgate_http_open_streams", .gauge, help: "Streamed responses being sent (Server-Sent Events).")
        text.sample("tollgate_http_open_streams", [], openStreams)
    }

    /// The shards' counters added up.
    private func merged() -> (requests: [RequestKey: UInt64], latency: [String: Histogram]) {
        var requests: [RequestKey: UInt64] = [:]
        var latency: [String: Histogram] = [:]
        for shard in shards {
            let part = shard.state.withLock { $0 }
            requests.merge(part.requests, uniquingKeysWith: +)
            latency.merge(part.latency) { a, b in
                var sum = a
                for index in sum.counts.indices { sum.counts[index] += b.counts[index] }
                sum.sum += b.sum
                sum.count += b.count
                return sum
            }
        }
        return (requests, latency)
    }
}
