import Foundation
import Tollgate
import TollgateBase
import TollgateClient
import TollgateCore
import TollgateEntitlements
import TollgateLogging
import TollgateStore
import TollgateTestSupport

/// Change-to-client latency: the time from a grant made through the API
/// (`POST /v1/customers/{id}/grants`) to a ``TollgateClient`` answer that reflects it, on loopback.
///
/// A real `tollgate serve` (the release binary beside this one) runs on a fresh store; the client
/// follows its event stream with a TTL of an hour, so only the stream can make it notice a change.
/// Each change raises customer `bench`'s `seats` limit by one; the clock runs from just before the
/// POST is written until a check of the new limit is allowed (checks loop, yielding 100 µs between
/// them: while the snapshot is cached they cost nothing, once the stream dropped it the next one
/// fetches). Changes are made one at a time; the first 20 warm up and are not counted. A grant
/// answered 503 (the store gave up on its transaction) is retried, and counted in the output.
///
/// Usage: `tollgate-bench-events [--backend sqlite|postgres] [--changes N]`. PostgreSQL needs
/// `TOLLGATE_TEST_POSTGRES_URL` (a fresh schema is made and dropped). Prints one JSON document.
enum BenchEvents {
    static let warmUp = 20
    static let base = 1000

    static func main() async {
        do {
            try await run(Array(CommandLine.arguments.dropFirst()))
        } catch {
            FileHandle.standardError.write(Data("tollgate-bench-events: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run(_ arguments: [String]) async throws {
        func option(_ name: String) -> String? {
            arguments.firstIndex(of: name).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
        }
        let backend = Backend(rawValue: option("--backend") ?? "sqlite") ?? .sqlite
        let changes = Int(option("--changes") ?? "") ?? 1000

        let store = try TestDatabase.make(backend, configuration: DatabaseConfiguration())
        defer { withExtendedLifetime(store) {} }
        let root = TestDatabase.repositoryRoot
        let configuration = try Configuration(environment: ["TOLLGATE_DATABASE_URL": store.url, "TOLLGATE_LOG_LEVEL": "warning"])
        let logger = Logger(label: "bench", level: .warning)
        let services = Services(configuration: configuration, database: store.database, migrationsRoot: root + "/migrations", logger: logger)
        _ = try services.schema.migrator.migrate()
        _ = try services.catalog.apply(try Catalog.parse(Data(contentsOf: URL(fileURLWithPath: root + "/examples/catalog.json"))))
        _ = try services.customers.upsert(.init(externalID: "bench"))
        let readKey = try services.apiKeys.create(name: "bench-read", scope: .read).token.value
        let writeKey = try services.apiKeys.create(name: "bench-write", scope: .write).token.value

        let serve = try ServeChild(databaseURL: store.url, environment: ["TOLLGATE_LOG_LEVEL": "info", "TOLLGATE_API_RATE_LIMIT": "off"])
        guard serve.waitUntilListening() else { throw BenchError("tollgate serve did not start: \(serve.log.suffix(2000))") }
        guard let baseURL = URL(string: "http://127.0.0.1:\(serve.port)") else { throw BenchError("no URL") }

        let client = TollgateClient(configuration: TollgateClientConfiguration(baseURL: baseURL, apiKey: readKey, cacheTTL: .seconds(3600)))
        // The stream is open once a cached answer no longer says it is down.
        _ = await client.check(customer: "bench", feature: "seats")
        let opened = ContinuousClock.now + .seconds(30)
        while await client.check(customer: "bench", feature: "seats").source != .cache {
            guard ContinuousClock.now < opened else { throw BenchError("the client's event stream did not open") }
            try await Task.sleep(for: .milliseconds(10))
        }

        let api = try HTTPTestClient(port: serve.port)
        var latencies: [Double] = []
        // The POST's own round trip (the grant's transaction): what of each latency the write took.
        var writes: [Double] = []
        var stale = 0
        var retried = 0
        // Checks answered without a current snapshot (the fetch after a drop failed), by status: the
        // client then waits its retryInterval (1 s) before asking again.
        var fetchErrors: [String: Int] = [:]
        for index in 0..<(warmUp + changes) {
            let limit = base + index
            let body = Array(#"{"feature":"seats","value":\#(limit),"reason":"bench \#(index)"}"#.utf8)
            // A 503 (the store refused the transaction, e.g. a deadlock it resolved) made no grant: retried,
            // counted, and the clock starts at the attempt that made it.
            var started = ContinuousClock.now
            var attempts = 0
            while true {
                attempts += 1
                started = ContinuousClock.now
                let response = try api.send(
                    method: "POST", path: "/v1/customers/bench/grants",
                    headers: [("Authorization", "Bearer \(writeKey)"), ("Content-Type", "application/json")], body: body)
                if response.status == 201 {
                    if index >= warmUp { writes.append((ContinuousClock.now - started).seconds * 1000) }
                    break
                }
                guard response.status == 503, attempts < 20 else {
                    throw BenchError("change \(index): grant answered \(response.status) after \(retried) retries: \(response.text.prefix(300))\n\(serve.log.suffix(1500))")
                }
                retried += 1
            }
            let deadline = started + .seconds(30)
            while true {
                let answer = await client.check(customer: "bench", feature: "seats", quantity: Int64(limit))
                if answer.allowed { break }
                if answer.source == .cacheStreamDown { stale += 1 }
                if let error = answer.error { fetchErrors[error.status.map { "http_\($0)" } ?? "\(error.code)", default: 0] += 1 }
                guard ContinuousClock.now < deadline else { throw BenchError("change \(index) not reflected within 30 s") }
                try await Task.sleep(for: .microseconds(100))
            }
            if index >= warmUp { latencies.append((ContinuousClock.now - started).seconds * 1000) }
        }

        latencies.sort()
        writes.sort()
        func percentile(_ p: Double, of values: [Double]? = nil) -> Double {
            let sorted = values ?? latencies
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
        let result: [String: Any] = [
            "benchmark": "grant_to_client_answer",
            "backend": backend.rawValue,
            "changes": latencies.count,
            "p50_ms": rounded(percentile(0.50)),
            "p90_ms": rounded(percentile(0.90)),
            "p99_ms": rounded(percentile(0.99)),
            "max_ms": rounded(latencies.last ?? 0),
            "mean_ms": rounded(latencies.reduce(0, +) / Double(max(1, latencies.count))),
            "checks_while_stream_down": stale,
            "grant_post_ms": ["p50": rounded(percentile(0.5, of: writes)), "p99": rounded(percentile(0.99, of: writes)), "max": rounded(writes.last ?? 0)],
            "grants_retried_after_503": retried,
            "checks_answered_after_a_failed_fetch": fetchErrors,
            "cores": ProcessInfo.processInfo.activeProcessorCount,
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }

    static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
