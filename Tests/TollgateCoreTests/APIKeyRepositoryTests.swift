import Foundation
import Testing
@testable import TollgateCore
import TollgateCrypto
@testable import TollgateEntitlements
import TollgateLogging
import TollgateStore
import TollgateTestSupport

/// A fresh store on `backend` with the project's migrations applied.
func migratedStore(_ backend: Backend) throws -> TestDatabase {
    let store = try TestDatabase.make(backend)
    _ = try Migrator(database: store.database, root: TestDatabase.repositoryRoot + "/migrations", logger: .disabled).migrate()
    return store
}

@Suite struct APIKeyRepositoryTests {
    @Test(arguments: Backend.allCases)
    func createdKeyVerifiesAndOnlyItsHashIsStored(backend: Backend) throws {
        let store = try migratedStore(backend)
        let repository = APIKeyRepository(database: store.database)
        let (key, token) = try repository.create(name: "billing-service", scope: .write)
        #expect(token.value.hasPrefix("tg_\(key.id)_"))

        let stored = try store.database.withConnection { connection in
            try connection.query("SELECT * FROM api_keys").map { row in row.values }
        }
        let text = stored.flatMap { $0 }.map { "\($0)" }.joined(separator: " ")
        #expect(!text.contains(token.value))
        #expect(text.contains(SHA256.hex(token.value)))

        let verifier = APIKeyVerifier(repository: repository, cacheTTL: .zero)
        #expect(try verifier.verify(token.value)?.id == key.id)
        #expect(try verifier.verify(token.value)?.scope == .write)
    }

    @Test(arguments: Backend.allCases)
    func wrongSecretUnknownIdAndMalformedKeysAreRejected(backend: Backend) throws {
        let store = try migratedStore(backend)
        let repository = APIKeyRepository(database: store.database)
        let (key, token) = try repository.create(name: "svc", scope: .read)
        let verifier = APIKeyVerifier(repository: repository, cacheTTL: .seconds(60))
        var tampered = Array(token.value)
        tampered[tampered.count - 1] = tampered.last == "a" ? "b" : "a"
        #expect(try verifier.verify(String(tampered)) == nil)
        #expect(try verifier.verify("tg_ZZZZZZZZZZZZ_" + String(repeating: "a", count: 40)) == nil)
        #expect(try verifier.verify("garbage") == nil)
        // A cached entry for the id must not let a wrong secret through either.
        #expect(try verifier.verify(token.value)?.id == key.id)
        #expect(try verifier.verify(String(tampered)) == nil)
    }

    @Test(arguments: Backend.allCases)
    func revokedKeyStopsVerifyingOnceTheCacheExpires(backend: Backend) throws {
        let store = try migratedStore(backend)
        let repository = APIKeyRepository(database: store.database)
        let (key, token) = try repository.create(name: "svc", scope: .admin)
        let uncached = APIKeyVerifier(repository: repository, cacheTTL: .zero)
        #expect(try uncached.verify(token.value) != nil)

        let revoked = try repository.revoke(id: key.id)
        #expect(revoked.revokedAt != nil)
        #expect(try uncached.verify(token.value) == nil)
        // Revoking again keeps the first revocation time.
        #expect(try repository.revoke(id: key.id).revokedAt == revoked.revokedAt)
        #expect(throws: DomainError.notFound("api key nope")) { try repository.revoke(id: "nope") }
    }

    @Test(arguments: Backend.allCases)
    func keysListInPagesOldestFirst(backend: Backend) throws {
        let store = try migratedStore(backend)
        let repository = APIKeyRepository(database: store.database)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let ids = try (0..<5).map { index in
            try repository.create(name: "key \(index)", scope: .read, now: start.addingTimeInterval(Double(index))).key.id
        }
        let first = try repository.list(page: try PageRequest(limit: 2))
        #expect(first.items.map(\.id) == Array(ids[0..<2]))
        #expect(first.hasMore)
        let second = try repository.list(page: try PageRequest(limit: 2, startingAfter: ids[1]))
        #expect(second.items.map(\.id) == Array(ids[2..<4]))
        let last = try repository.list(page: try PageRequest(limit: 2, startingAfter: ids[3]))
        #expect(last.items.map(\.id) == [ids[4]])
        #expect(!last.hasMore)
        #expect(throws: DomainError.self) { try repository.list(page: try PageRequest(startingAfter: "missing")) }
        #expect(try repository.list().count == 5)
    }

    @Test(arguments: Backend.allCases)
    func keyNeedsAName(backend: Backend) throws {
        let store = try migratedStore(backend)
        let repository = APIKeyRepository(database: store.database)
        #expect(throws: DomainError.self) { try repository.create(name: "   ", scope: .read) }
        #expect(try repository.list().isEmpty)
    }
}
