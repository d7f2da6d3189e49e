import Foundation
import Testing
import TollgateCore
import TollgateCrypto
import TollgateEntitlements
import TollgateStore
import TollgateTestSupport

/// An `Idempotency-Key` whose request died with its process is free for a retry on another
/// instance once its lease runs out; a live one is still 409 (issue 11, item 13).
@Suite struct IdempotencyFailoverTests {
    static let body = Array(#"{"external_id":"org_failover","name":"Failover"}"#.utf8)

    /// The hash the API stores for a POST /v1/customers with ``body``.
    static var requestHash: String { SHA256.hex(Array("POST /v1/customers\n".utf8) + body) }

    static func post(port: Int, token: String, key: String) throws -> TestResponse {
        try HTTPTestClient.request(port: port, method: "POST", path: "/v1/customers", headers: [
            ("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"), ("Idempotency-Key", key),
        ], body: body)
    }

    /// The same request through the harness (its answer is checked against the document).
    static func post(_ harness: APIHarness, token: String, key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> TestResponse {
        try harness.request("POST", "/v1/customers", token: token, headers: [("Content-Type", "application/json"), ("Idempotency-Key", key)],
                            body: body, sourceLocation: sourceLocation)
    }

    /// A reservation row as a process leaves it when it is killed mid-request.
    static func leaveReservation(key: String, apiKeyID: String, leaseEnd: Date, on database: any Database) throws {
        try database.withConnection { connection in
            try connection.execute("""
                INSERT INTO idempotency_keys (api_key_id, key, request_hash, created_at, lease_owner, lease_expires_at)
                VALUES (\(apiKeyID), \(key), \(requestHash), \(Date().addingTimeInterval(-30)), 'another-instance', \(leaseEnd))
                """)
        }
    }

    @Test(arguments: Backend.allCases)
    func retryRunsOnceTheHoldersLeaseRanOutAndIsThenReplayed(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let (apiKey, token) = try harness.services.apiKeys.create(name: "writer", scope: .write)
        try Self.leaveReservation(key: "dead-1", apiKeyID: apiKey.id, leaseEnd: Date().addingTimeInterval(-1), on: harness.store.database)
        let retry = try Self.post(harness, token: token.value, key: "dead-1")
        #expect(retry.status == 201, "\(retry.text)")
        let replay = try Self.post(harness, token: token.value, key: "dead-1")
        #expect(replay.status == 201 && replay.body == retry.body && replay.header("Idempotent-Replayed") == "true")
        #expect(try harness.services.customers.get(externalID: "org_failover").name == "Failover")
    }

    @Test(arguments: Backend.allCases)
    func reservationWithALiveLeaseIsStillInUse(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let (apiKey, token) = try harness.services.apiKeys.create(name: "writer", scope: .write)
        try Self.leaveReservation(key: "live-1", apiKeyID: apiKey.id, leaseEnd: Date().addingTimeInterval(3600), on: harness.store.database)
        let response = try Self.post(harness, token: token.value, key: "live-1")
        #expect(response.status == 409)
        #expect(response.errorCode == "idempotency_key_in_use")
        #expect(throws: (any Error).self) { try harness.services.customers.get(externalID: "org_failover") }
    }

    /// Two `tollgate serve` processes on one PostgreSQL: A reserves the key and is stopped inside
    /// the handler (customers are locked by the test), then killed with SIGKILL; the same request
    /// sent to B runs once A's lease has run out (409 until then), and is replayed afterwards.
    @Test func keyOfAKilledInstanceIsFreeOnAnotherInstance() throws {
        let store = try TestDatabase.make(.postgres)
        try store.migrate()
        let (_, token) = try APIKeyRepository(database: store.database).create(name: "writer", scope: .write)
        let instanceA = try ServeChild(databaseURL: store.url)
        let instanceB = try ServeChild(databaseURL: store.url)
        try #require(instanceA.waitUntilListening(), "\(instanceA.log)")
        try #require(instanceB.waitUntilListening(), "\(instanceB.log)")

        let lock = TableWriteLock(table: "customers", database: store.database)
        try #require(lock.waitUntilHeld(), "the test could not lock customers")
        let portA = instanceA.port
        Thread { _ = try? Self.post(port: portA, token: token.value, key: "killed-1") }.start()
        let deadline = ContinuousClock.now + .seconds(30)
        var reserved = false
        while !reserved, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.02)
            reserved = try store.database.withConnection { connection in
                try connection.queryFirst("SELECT key FROM idempotency_keys WHERE key = 'killed-1'") != nil
            }
        }
        try #require(reserved, "instance A never reserved the key")
        instanceA.child.kill()
        lock.release()

        var answer = try Self.post(port: instanceB.port, token: token.value, key: "killed-1")
        let retryDeadline = ContinuousClock.now + .seconds(120)
        while answer.status == 409, ContinuousClock.now < retryDeadline {
            Thread.sleep(forTimeInterval: 0.25)
            answer = try Self.post(port: instanceB.port, token: token.value, key: "killed-1")
        }
        #expect(answer.status == 201, "\(answer.text)")
        let replay = try Self.post(port: instanceB.port, token: token.value, key: "killed-1")
        #expect(replay.status == 201 && replay.header("Idempotent-Replayed") == "true")
        let documented = try OpenAPIResponseCheck(fetchingFrom: instanceB.port)
        for response in [answer, replay] { documented.record(method: "POST", target: "/v1/customers", response: response) }
        let customers = try store.database.withConnection { connection in
            try connection.queryFirst("SELECT COUNT(*) AS n FROM customers WHERE external_id = 'org_failover'")?.get("n", as: Int.self)
        }
        #expect(customers == 1)
    }
}

/// Holds a PostgreSQL lock that blocks writes to `table` (reads go on) in a transaction on its own
/// thread, until released.
final class TableWriteLock: Sendable {
    private let held = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(table: String, database: any Database) {
        Thread { [held, done, finished] in
            _ = try? database.transaction { connection in
                // `table` is a constant of the test, never input.
                try connection.executeScript("LOCK TABLE \(table) IN EXCLUSIVE MODE")
                held.signal()
                done.wait()
            }
            finished.signal()
        }.start()
    }

    deinit { done.signal() }

    func waitUntilHeld() -> Bool { held.wait(timeout: .now() + 30) == .success }

    /// Commits the locking transaction and waits for it to end.
    func release() {
        done.signal()
        _ = finished.wait(timeout: .now() + 30)
    }
}
