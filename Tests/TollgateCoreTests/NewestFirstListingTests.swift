import Foundation
import Testing
import TollgateEntitlements
import TollgateOutbox
import TollgateStore
import TollgateTestSupport

/// The newest-first keyset listing (`NewestFirstListing`, the outbox's and the Stripe events'
/// lists): every page of a status filter, and of no filter, in order, with ties on the time broken
/// by id and a cursor in the middle of a tie.
@Suite struct NewestFirstListingTests {
    @Test(arguments: Backend.allCases)
    func pagesOfAStatusHoldExactlyItsRowsNewestFirstAcrossTies(backend: Backend) throws {
        let store = try migratedStore(backend)
        let outbox = OutboxStore(database: store.database)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let statuses = ["sent", "dead", "sent", "pending", "dead", "dead", "sent", "dead", "suppressed", "dead"]
        // Mail i at second i / 2 (pairs share their instant), written in an order that is not the list's.
        var expected: [(id: String, status: String, time: Date)] = []
        for index in [7, 2, 9, 0, 4, 1, 8, 3, 6, 5] {
            let id = "msg_\(index)"
            let time = start.addingTimeInterval(Double(index / 2))
            try store.database.withConnection { connection in
                try connection.execute("""
                    INSERT INTO outbox_messages (id, dedupe_key, template, recipient, data, status, available_at, created_at, updated_at)
                    VALUES (\(id), \(id), 'welcome', 'a@example.test', '{}', \(statuses[index]), \(time), \(time), \(time))
                    """)
            }
            expected.append((id, statuses[index], time))
        }
        expected.sort { ($0.time, $0.id) > ($1.time, $1.id) }

        func everyPage(_ status: OutboxStatus?) throws -> [String] {
            var ids: [String] = []
            var cursor: String?
            repeat {
                let page = try outbox.list(status: status, page: try PageRequest(limit: 2, startingAfter: cursor))
                ids += page.items.map(\.id)
                #expect(page.items.allSatisfy { status == nil || $0.status == status })
                cursor = page.hasMore ? page.items.last?.id : nil
            } while cursor != nil
            return ids
        }
        #expect(try everyPage(.dead) == expected.filter { $0.status == "dead" }.map(\.id))
        #expect(try everyPage(.dead) == ["msg_9", "msg_7", "msg_5", "msg_4", "msg_1"])
        #expect(try everyPage(nil) == expected.map(\.id))
        #expect(try everyPage(.sending) == [])
        // A cursor of another status still anchors the page: the dead mail older than msg_6 (msg_7 shares its instant, a later id).
        #expect(try outbox.list(status: .dead, page: try PageRequest(limit: 10, startingAfter: "msg_6")).items.map(\.id) == ["msg_5", "msg_4", "msg_1"])
        #expect(throws: DomainError.self) { try outbox.list(status: .dead, page: try PageRequest(limit: 2, startingAfter: "msg_none")) }
    }
}
