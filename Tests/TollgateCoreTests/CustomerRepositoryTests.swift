import Foundation
import Testing
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateStore
import TollgateTestSupport

@Suite struct CustomerRepositoryTests {
    @Test(arguments: Backend.allCases)
    func upsertCreatesThenUpdatesOnlyTheGivenFields(backend: Backend) throws {
        let store = try migratedStore(backend)
        let customers = CustomerRepository(database: store.database)
        let (created, wasCreated) = try customers.upsert(.init(externalID: "org_1", email: "a@example.com", name: "Acme", metadata: ["tier": "gold"]))
        #expect(wasCreated)
        #expect(created.id.hasPrefix("cus_"))
        let (updated, wasCreatedAgain) = try customers.upsert(.init(externalID: "org_1", name: "Acme Inc"))
        #expect(!wasCreatedAgain)
        #expect(updated.id == created.id)
        #expect(updated.name == "Acme Inc")
        #expect(updated.email == "a@example.com")
        #expect(updated.metadata == ["tier": "gold"])
        #expect(try customers.get(externalID: "org_1") == updated)
    }

    @Test(arguments: Backend.allCases)
    func invalidCustomersAreRefusedAndNothingIsWritten(backend: Backend) throws {
        let store = try migratedStore(backend)
        let customers = CustomerRepository(database: store.database)
        for bad in [CustomerChanges(externalID: ""), .init(externalID: "has space"), .init(externalID: "a/b"),
                    .init(externalID: "ok", email: "not-an-email"), .init(externalID: "ok", metadata: ["": "x"])] {
            #expect(throws: DomainError.self) { try customers.upsert(bad) }
        }
        #expect(try customers.list(page: PageRequest()).items.isEmpty)
        #expect(throws: DomainError.unknownCustomer("nobody")) { try customers.get(externalID: "nobody") }
    }

    @Test(arguments: Backend.allCases)
    func customersListInPages(backend: Backend) throws {
        let store = try migratedStore(backend)
        let customers = CustomerRepository(database: store.database)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<5 {
            _ = try customers.upsert(.init(externalID: "org_\(index)"), now: start.addingTimeInterval(Double(index)))
        }
        let first = try customers.list(page: PageRequest(limit: 3))
        #expect(first.items.map(\.externalID) == ["org_0", "org_1", "org_2"])
        #expect(first.hasMore)
        let rest = try customers.list(page: PageRequest(limit: 3, startingAfter: "org_2"))
        #expect(rest.items.map(\.externalID) == ["org_3", "org_4"])
        #expect(!rest.hasMore)
    }

    /// Many threads upserting the same new customer at once create exactly one.
    @Test(arguments: Backend.allCases)
    func concurrentUpsertsOfOneCustomerCreateItOnce(backend: Backend) throws {
        let store = try migratedStore(backend)
        let customers = CustomerRepository(database: store.database)
        let created = ThreadSafeList<Bool>()
        let failures = ThreadSafeList<String>()
        ConcurrentThreads.run(8) { index in
            do {
                created.append(try customers.upsert(.init(externalID: "org_race", name: "n\(index)")).created)
            } catch {
                failures.append(String(describing: error))
            }
        }
        #expect(failures.values.isEmpty, "\(failures.values)")
        #expect(created.values.filter { $0 }.count == 1)
        #expect(try customers.list(page: PageRequest()).items.count == 1)
    }
}

@Suite struct IdempotencyStoreTests {
    @Test(arguments: Backend.allCases)
    func firstRequestProceedsRepeatsReplayAndOtherRequestsMismatch(backend: Backend) throws {
        let store = try migratedStore(backend)
        let keys = IdempotencyStore(database: store.database)
        let first = try #require(try keys.begin(apiKeyID: "k1", key: "abc", requestHash: "h1").reservation)
        #expect(try keys.begin(apiKeyID: "k1", key: "abc", requestHash: "h1") == .inProgress)
        let response = IdempotencyStore.StoredResponse(status: 201, contentType: "application/json", body: Array("{}".utf8))
        #expect(try keys.complete(first, response: response))
        #expect(try keys.begin(apiKeyID: "k1", key: "abc", requestHash: "h1") == .replay(response))
        #expect(try keys.begin(apiKeyID: "k1", key: "abc", requestHash: "h2") == .mismatch)
        // Keys are per API key.
        let other = try #require(try keys.begin(apiKeyID: "k2", key: "abc", requestHash: "h2").reservation)
        try keys.release(other)
    }

    @Test(arguments: Backend.allCases)
    func keysExpireAfter24HoursAndReleasedKeysRunAgain(backend: Backend) throws {
        let store = try migratedStore(backend)
        let keys = IdempotencyStore(database: store.database)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try #require(try keys.begin(apiKeyID: "k", key: "a", requestHash: "h", now: start).reservation)
        try keys.complete(first, response: .init(status: 200, contentType: nil, body: []))
        #expect(try keys.begin(apiKeyID: "k", key: "a", requestHash: "other", now: start.addingTimeInterval(86_399)) == .mismatch)
        let later = try #require(try keys.begin(apiKeyID: "k", key: "a", requestHash: "other", now: start.addingTimeInterval(86_400)).reservation)
        try keys.release(later)

        let released = try #require(try keys.begin(apiKeyID: "k", key: "b", requestHash: "h").reservation)
        try keys.release(released)
        let again = try #require(try keys.begin(apiKeyID: "k", key: "b", requestHash: "h").reservation)
        try keys.release(again)
        #expect(throws: DomainError.self) { try keys.begin(apiKeyID: "k", key: "", requestHash: "h") }
    }
}

extension IdempotencyStore.Outcome {
    /// The reservation, when the request may proceed.
    var reservation: IdempotencyStore.Reservation? {
        if case .proceed(let reservation) = self { return reservation }
        return nil
    }
}
