import Foundation
import Testing
@testable import TollgateCore
@testable import TollgateEntitlements
@testable import TollgateIntegrations
import TollgateStore
import TollgateTestSupport

/// `IntegrationService.list(customer:status:page:)`: keyset pages over (created_at, id), oldest
/// first, with the customer and status filters (no provider is called: ``FakeOAuthProvider``).
@Suite struct IntegrationListTests {
    @Test(arguments: Backend.allCases)
    func pagesFollowCreationOrderAndFilter(backend: Backend) throws {
        let provider = try FakeOAuthProvider(rotates: false)
        let harness = try IntegrationHarness(backend, peer: provider.peer)
        let services = harness.services
        _ = try services.customers.upsert(.init(externalID: "beta"))
        let acme = try services.customers.get(externalID: "acme").id
        let beta = try services.customers.get(externalID: "beta").id
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let rows: [(id: String, customer: String, provider: String)] = [
            ("con_a", acme, "dot"), ("con_b", beta, "dot"), ("con_c", acme, "dot2"), ("con_d", beta, "dot2"),
        ]
        try harness.store.database.transaction { connection in
            for (offset, row) in rows.enumerated() {
                let tokens = ConnectionStore.Tokens(access: "sealed", refresh: nil, keyID: "k1", tokenType: "Bearer", expiresAt: nil, scopes: [])
                try ConnectionStore.insert(
                    id: row.id, customerID: row.customer, provider: row.provider, tokens: tokens, account: nil, returnURL: nil,
                    now: start.addingTimeInterval(Double(offset)), on: connection)
            }
            try ConnectionStore.refreshFailed(id: "con_d", message: "invalid_grant", failed: true, now: start, on: connection)
        }
        let integrations = services.integrations

        let first = try integrations.list(customer: nil, status: nil, page: try PageRequest(limit: 3))
        #expect(first.items.map(\.id) == ["con_a", "con_b", "con_c"] && first.hasMore)
        let rest = try integrations.list(customer: nil, status: nil, page: try PageRequest(limit: 3, startingAfter: "con_c"))
        #expect(rest.items.map(\.id) == ["con_d"] && !rest.hasMore)

        let acmeOnly = try integrations.list(customer: "acme", status: nil, page: try PageRequest(limit: 1))
        #expect(acmeOnly.items.map(\.id) == ["con_a"] && acmeOnly.hasMore)
        let acmeNext = try integrations.list(customer: "acme", status: nil, page: try PageRequest(limit: 1, startingAfter: "con_a"))
        #expect(acmeNext.items.map(\.id) == ["con_c"] && !acmeNext.hasMore)

        #expect(try integrations.list(customer: nil, status: .refreshFailed, page: try PageRequest()).items.map(\.id) == ["con_d"])
        #expect(try integrations.list(customer: "beta", status: .active, page: try PageRequest()).items.map(\.id) == ["con_b"])
        #expect(throws: DomainError.self) { try integrations.list(customer: nil, status: nil, page: try PageRequest(startingAfter: "con_nope")) }
        #expect(throws: DomainError.self) { try integrations.list(customer: "nobody", status: nil, page: try PageRequest()) }
    }
}
