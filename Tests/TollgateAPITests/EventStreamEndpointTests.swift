import Foundation
import Testing
import TollgateAPI
import TollgateBase
import TollgateCore
import TollgateEntitlements
import TollgateEvents
import TollgateLogging
import TollgateStore
import TollgateTestSupport

/// One `id`/`event`/`data` frame as a test reads it off the stream.
private struct Frame: Equatable {
    var id: Int64?
    var event: String
    var data: String
}

extension StreamTestClient {
    /// The frames received so far that carry data (the `retry:` preamble and heartbeats are not frames).
    fileprivate var frames: [Frame] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var frame = Frame(id: nil, event: "message", data: "")
            var hasData = false
            for line in block.split(separator: "\n", omittingEmptySubsequences: true) {
                if line.hasPrefix("id: ") { frame.id = Int64(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { frame.event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") {
                    frame.data = String(line.dropFirst(6))
                    hasData = true
                }
            }
            return hasData ? frame : nil
        }
    }

    fileprivate var eventIDs: [Int64] { frames.filter { $0.event != "reset" }.compactMap(\.id) }
}

/// `GET /v1/events/stream` over real sockets, on both backends: framing, filters, resume across a
/// restart, the reset after retention, and consumers that do not read.
@Suite struct EventStreamEndpointTests {
    /// Customers `prefix0…` created (one `customer.created` each), then published.
    private func createCustomers(_ harness: APIHarness, _ count: Int, prefix: String = "c") throws {
        for index in 0..<count { _ = try harness.services.customers.upsert(.init(externalID: "\(prefix)\(index)")) }
        try publishAll(harness.services.eventLog)
    }

    private func publishAll(_ log: EventLog) throws {
        while try log.publish() != nil {}
    }

    private func open(_ harness: APIHarness, _ query: String = "", token: String, headers: [String: String] = [:]) throws -> StreamTestClient {
        var fields = headers
        fields["Authorization"] = "Bearer \(token)"
        return try StreamTestClient(port: harness.port, path: "/v1/events/stream" + query, headers: fields)
    }

    private func checkDocumented(_ harness: APIHarness, _ target: String, _ stream: StreamTestClient) {
        let response = TestResponse(status: stream.status, reason: "", headers: stream.headers.map { ($0.key, $0.value) }, body: [])
        harness.checkDocumented("GET", target, response)
    }

    @Test(arguments: Backend.allCases)
    func streamStartsWithRetryAndFramesEachEventByPosition(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let token = try harness.token(.read)
        try createCustomers(harness, 3)
        let stream = try open(harness, "?last_event_id=0", token: token)
        #expect(stream.read { $0.eventIDs.count == 3 })
        #expect(stream.status == 200)
        #expect(stream.headers["content-type"] == "text/event-stream")
        #expect(stream.headers["cache-control"] == "no-store")
        #expect(stream.text.hasPrefix("retry: 1000\n\n"))
        checkDocumented(harness, "/v1/events/stream?last_event_id=0", stream)
        let frames = stream.frames
        #expect(frames.map(\.id) == [1, 2, 3])
        #expect(frames.allSatisfy { $0.event == "customer.created" })
        let first = try #require(frames.first)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(first.data.utf8)) as? [String: Any])
        #expect(json["position"] as? Int == 1)
        #expect(json["customer"] as? String == "c0")
        #expect(json["type"] as? String == "customer.created")
        #expect((json["id"] as? String)?.hasPrefix("evt_") == true)
        #expect(json["created_at"] is String)
        #expect(json["sequence"] as? Int == 1)
    }

    @Test(arguments: Backend.allCases)
    func eventDataKeepsItsKeysAsStored(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let token = try harness.token(.read)
        _ = try harness.services.customers.upsert(.init(externalID: "meta", metadata: ["orgName": "Acme", "plan_tier": "gold"]))
        try publishAll(harness.services.eventLog)
        let stored = try #require(try harness.services.eventLog.read(after: 0, limit: 10).first)
        let stream = try open(harness, "?last_event_id=0", token: token)
        #expect(stream.read { $0.eventIDs.count == 1 })
        let sent = try JSONValue(parsing: Array(try #require(stream.frames.first).data.utf8))
        #expect(sent["data"] == stored.data)
        #expect(sent["created_at"]?.string != nil)
    }

    @Test(arguments: Backend.allCases)
    func withoutLastEventIDOnlyLaterEventsArriveAsTheyArePublished(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let token = try harness.token(.read)
        try createCustomers(harness, 2, prefix: "before")
        let stream = try open(harness, token: token)
        #expect(stream.read { $0.status == 200 })
        try createCustomers(harness, 1, prefix: "after")
        #expect(stream.read { $0.eventIDs == [3] })
        #expect(stream.frames.first?.data.contains("\"after0\"") == true)
    }

    @Test(arguments: Backend.allCases)
    func customerAndTypeFiltersSelectEventsAndUnknownTypesAre400(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let token = try harness.token(.read)
        try createCustomers(harness, 2)  // 1: c0 created, 2: c1 created
        _ = try harness.services.customers.upsert(.init(externalID: "c0", name: "Zero"))  // 3: c0 updated
        _ = try harness.services.customers.upsert(.init(externalID: "c1", name: "One"))  // 4: c1 updated
        try publishAll(harness.services.eventLog)

        let byCustomer = try open(harness, "?last_event_id=0&customer=c0", token: token)
        #expect(byCustomer.read { $0.eventIDs.count == 2 })
        #expect(byCustomer.eventIDs == [1, 3])
        let byType = try open(harness, "?last_event_id=0&types=customer.updated", token: token)
        #expect(byType.read { $0.eventIDs.count == 2 })
        #expect(byType.eventIDs == [3, 4])
        let both = try open(harness, "?last_event_id=0&customer=c1&types=customer.created,%20customer.updated", token: token)
        #expect(both.read { $0.eventIDs.count == 2 })
        #expect(both.eventIDs == [2, 4])
        // Later matching events continue after the filtered-out ones.
        _ = try harness.services.customers.upsert(.init(externalID: "c9"))  // 5: another customer
        _ = try harness.services.customers.upsert(.init(externalID: "c1", name: "Uno"))  // 6
        try publishAll(harness.services.eventLog)
        #expect(both.read { $0.eventIDs == [2, 4, 6] })

        let unknown = try harness.get("/v1/events/stream?types=customer.created,grant.teleported", token: token)
        #expect(unknown.status == 400)
        #expect(unknown.errorCode == "invalid_request")
        #expect(unknown.text.contains("grant.teleported"))
        #expect(try harness.get("/v1/events/stream?last_event_id=abc", token: token).status == 400)
        #expect(try harness.get("/v1/events/stream", token: token, headers: [("Last-Event-ID", "-1")]).status == 400)
        #expect(try harness.get("/v1/events/stream?customer=", token: token).status == 400)
        #expect(try harness.get("/v1/events/stream?types=", token: token).status == 400)
        #expect(try harness.get("/v1/events/stream").status == 401)
    }

    @Test(arguments: Backend.allCases)
    func lastEventIDResumesAcrossAServerRestartWithNoGapAndNoDuplicate(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let token = try harness.token(.read)
        try createCustomers(harness, 5, prefix: "first")
        let before = try open(harness, "?last_event_id=0", token: token)
        #expect(before.read { $0.eventIDs.count == 5 })
        let lastSeen = try #require(before.eventIDs.last)
        before.close()
        harness.api.shutdown(timeout: .seconds(5))

        // Changes while the server is down, then a new server (a new process's services) on the same store.
        try createCustomers(harness, 3, prefix: "while-down")
        let logger = Logger(label: "test", level: .error, sink: MemoryLogSink())
        let services = Services(
            configuration: harness.services.configuration, database: harness.store.database,
            migrationsRoot: TestDatabase.repositoryRoot + "/migrations", logger: logger)
        let restarted = APIServer(services: services, logger: logger)
        try restarted.start()
        defer { restarted.shutdown(timeout: .seconds(5)) }

        let after = try StreamTestClient(
            port: restarted.port, path: "/v1/events/stream", headers: ["Authorization": "Bearer \(token)", "Last-Event-ID": String(lastSeen)])
        #expect(after.read { $0.eventIDs.count == 3 })
        for index in 0..<2 { _ = try services.customers.upsert(.init(externalID: "after-restart\(index)")) }
        try publishAll(services.eventLog)
        #expect(after.read { $0.eventIDs.count == 5 })
        let all = before.eventIDs + after.eventIDs
        #expect(all == Array(1...10))
        #expect(!after.frames.contains { $0.event == "reset" })
    }

    @Test(arguments: Backend.allCases)
    func positionOlderThanRetentionGetsOneResetFrameFirst(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let token = try harness.token(.read)
        try createCustomers(harness, 5)
        try harness.store.database.transaction { connection in
            _ = try connection.execute("DELETE FROM events WHERE position <= 3")
        }
        let purged = try open(harness, "?last_event_id=1", token: token)
        #expect(purged.read { $0.eventIDs.count == 2 })
        let frames = purged.frames
        #expect(frames.first?.event == "reset")
        #expect(frames.first?.id == 3)
        #expect(frames.filter { $0.event == "reset" }.count == 1)
        #expect(purged.eventIDs == [4, 5])
        #expect(frames.first?.data.contains("\"oldest_position\":4") == true)

        // From the last position purged, nothing is missing: no reset.
        let intact = try open(harness, "?last_event_id=3", token: token)
        #expect(intact.read { $0.eventIDs.count == 2 })
        #expect(intact.eventIDs == [4, 5])
        #expect(!intact.frames.contains { $0.event == "reset" })

        // A position beyond the head (a log this consumer never read): reset, then live events.
        let beyond = try open(harness, "?last_event_id=99", token: token)
        #expect(beyond.read { $0.frames.count == 1 })
        #expect(beyond.frames.first?.event == "reset")
        #expect(beyond.frames.first?.id == 5)
    }

    @Test(arguments: Backend.allCases)
    func stalledConsumerDelaysNeitherAnotherConsumerNorHealthz(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let token = try harness.token(.read)
        let count = 3000
        let padding = JSONValue.string(String(repeating: "x", count: 1000))
        try harness.store.database.transaction { connection in
            for index in 0..<count {
                try EventLog.append(.catalogUpdated, customer: nil, data: ["index": .integer(index), "padding": padding], on: connection, now: Date())
            }
        }
        try publishAll(harness.services.eventLog)
        // About 3 MB of events for a consumer whose socket takes 4 KiB and that never reads.
        let stalled = try StreamTestClient(
            port: harness.port, path: "/v1/events/stream?last_event_id=0", headers: ["Authorization": "Bearer \(token)"], receiveBuffer: 4096)
        Thread.sleep(forTimeInterval: 0.2)
        let reader = try open(harness, "?last_event_id=0", token: token)
        #expect(reader.read(timeout: .seconds(60)) { $0.eventIDs.last == Int64(count) })
        #expect(reader.eventIDs == Array(1...Int64(count)))
        #expect(try harness.get("/healthz").status == 200)
        #expect(try harness.get("/v1/customers?limit=1", token: token).status == 200)
        withExtendedLifetime(stalled) {}
    }
}
