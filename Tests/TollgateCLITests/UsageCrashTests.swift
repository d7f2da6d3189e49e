import Foundation
import Testing
import TollgateStore
import TollgateTestSupport

/// `tollgate serve` killed with SIGKILL during a usage storm (single events, and batches), then
/// started again, on both backends: every acknowledged event is stored exactly once, the counters
/// equal the stored events, and clients that retry what was not acknowledged, with the same keys,
/// leave the counters exact.
@Suite struct UsageCrashTests {
    enum Mode: String, CaseIterable, Sendable, CustomStringConvertible {
        case single, batch
        var description: String { rawValue }
    }

    static let threads = 8
    static let eventsPerThread = 400
    static let batchSize = 20
    static let customers = ["org_1", "org_2", "org_3"]

    struct Event: Sendable {
        var customer: String
        var key: String
        var quantity: Int

        var json: String { #"{"customer":"\#(customer)","feature":"api.requests","quantity":\#(quantity),"idempotency_key":"\#(key)"}"# }
    }

    static func events(thread: Int) -> [Event] {
        (0..<eventsPerThread).map { index in
            Event(customer: customers[(thread + index) % customers.count], key: "t\(thread)-\(index)", quantity: (thread * 7 + index) % 3 + 1)
        }
    }

    /// Sends `events` (one per request, or in batches) over one keep-alive connection until they
    /// are all acknowledged or the server goes away; returns the keys acknowledged.
    static func send(_ events: [Event], mode: Mode, port: Int, token: String, acknowledged: ThreadSafeList<String>) {
        guard let client = try? HTTPTestClient(port: port, timeout: .seconds(30)) else { return }
        defer { client.close() }
        let headers = [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")]
        var start = 0
        while start < events.count {
            let chunk = Array(events[start..<min(start + (mode == .single ? 1 : batchSize), events.count)])
            let path = mode == .single ? "/v1/usage" : "/v1/usage/batch"
            let body = mode == .single ? chunk[0].json : #"{"events":["# + chunk.map(\.json).joined(separator: ",") + "]}"
            guard let response = try? client.send(method: "POST", path: path, headers: headers, body: Array(body.utf8)),
                  response.status == 200 else { return }
            if mode == .batch {
                guard let statuses = (try? response.json())?["results"] as? [[String: Any]], statuses.count == chunk.count,
                      statuses.allSatisfy({ $0["status"] as? String == "counted" || $0["status"] as? String == "duplicate" }) else { return }
            }
            for event in chunk { acknowledged.append(event.key) }
            start += chunk.count
        }
    }

    /// (key → rows stored) and each customer's counter, read from the store.
    static func stored(_ store: TestDatabase) throws -> (rows: [String: Int], quantity: [String: Int], counters: [String: Int]) {
        try store.database.withConnection { connection in
            var rows: [String: Int] = [:]
            var quantity: [String: Int] = [:]
            for row in try connection.query("""
                SELECT c.external_id AS customer, e.idempotency_key AS key, e.quantity AS quantity
                FROM usage_events e JOIN customers c ON c.id = e.customer_id WHERE e.feature_key = 'api.requests'
                """) {
                let key: String = try row.get("key")
                rows[key, default: 0] += 1
                quantity[try row.get("customer"), default: 0] += try row.get("quantity") as Int
            }
            var counters: [String: Int] = [:]
            for row in try connection.query("""
                SELECT c.external_id AS customer, SUM(u.used) AS used FROM usage_counters u JOIN customers c ON c.id = u.customer_id
                WHERE u.feature_key = 'api.requests' GROUP BY c.external_id
                """) {
                counters[try row.get("customer")] = try row.get("used")
            }
            return (rows, quantity, counters)
        }
    }

    @Test(arguments: Backend.allCases, Mode.allCases)
    func killedDuringAUsageStormLosesNoAcknowledgedEventAndRetriesStayExact(backend: Backend, mode: Mode) throws {
        let store = try TestDatabase.make(backend)
        let environment = TollgateBinary.environment(databaseURL: store.url, extra: ["TOLLGATE_API_RATE_LIMIT": "off"])
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
        #expect(InProcessCLI.run(["plans", "apply", TestDatabase.repositoryRoot + "/examples/catalog.json"], environment: environment).status == 0)
        for customer in Self.customers {
            #expect(InProcessCLI.run(["customers", "upsert", "--external-id", customer], environment: environment).status == 0)
        }
        let created = InProcessCLI.run(["keys", "create", "--name", "storm", "--scope", "write", "--json"], environment: environment)
        let token = try #require((try JSONSerialization.jsonObject(with: Data(created.standardOutput.utf8)) as? [String: Any])?["secret"] as? String)
        let all = (0..<Self.threads).map(Self.events(thread:))
        let total = Self.threads * Self.eventsPerThread

        // The storm, killed once a quarter of it is acknowledged.
        let first = try ServeChild(environment: environment)
        #expect(first.waitUntilListening(), "\(first.log)")
        let acknowledged = ThreadSafeList<String>()
        let port = first.port
        let done = DispatchSemaphore(value: 0)
        let runner = Thread {
            ConcurrentThreads.run(Self.threads) { thread in
                Self.send(all[thread], mode: mode, port: port, token: token, acknowledged: acknowledged)
            }
            done.signal()
        }
        runner.start()
        #expect(eventually(timeout: .seconds(120), poll: .milliseconds(2)) { acknowledged.values.count >= total / 4 }, "\(first.log.suffix(2_000))")
        first.child.signal(SIGKILL)
        _ = first.child.waitForExit(timeout: .seconds(10))
        #expect(done.wait(timeout: .now() + 60) == .success)
        let acked = Set(acknowledged.values)
        #expect(acked.count < total, "killed mid-storm")

        // After the kill: every acknowledged event stored once; the counters equal the stored events.
        let afterKill = try Self.stored(store)
        for key in acked { #expect(afterKill.rows[key] == 1, "\(key) acknowledged, stored \(afterKill.rows[key] ?? 0) times") }
        #expect(afterKill.rows.values.allSatisfy { $0 == 1 })
        for customer in Self.customers { #expect(afterKill.counters[customer, default: 0] == afterKill.quantity[customer, default: 0], "\(customer)") }

        // Restarted; the clients retry everything they were not told was counted, with the same keys.
        let second = try ServeChild(environment: environment)
        #expect(second.waitUntilListening(), "\(second.log)")
        let retried = ThreadSafeList<String>()
        let secondPort = second.port
        ConcurrentThreads.run(Self.threads) { thread in
            Self.send(all[thread].filter { !acked.contains($0.key) }, mode: mode, port: secondPort, token: token, acknowledged: retried)
        }
        #expect(Set(retried.values).count + acked.count == total, "every retry acknowledged")
        second.child.signal(SIGTERM)
        #expect(second.child.waitForExit(timeout: .seconds(20)) == 0)

        let final = try Self.stored(store)
        #expect(final.rows.count == total && final.rows.values.allSatisfy { $0 == 1 })
        for customer in Self.customers {
            let expected = all.joined().filter { $0.customer == customer }.map(\.quantity).reduce(0, +)
            #expect(final.counters[customer] == expected, "\(customer)")
            #expect(final.quantity[customer] == expected, "\(customer)")
        }
        print("usage crash test (\(backend), \(mode)): \(acked.count) of \(total) acknowledged before SIGKILL, "
              + "\(afterKill.rows.count - acked.count) committed but unacknowledged, \(total - afterKill.rows.count) retried into the store")
    }
}
