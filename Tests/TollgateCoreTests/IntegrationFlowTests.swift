import Foundation
import Testing
@testable import TollgateCore
@testable import TollgateIntegrations
import TollgateStore
import TollgateTestSupport

/// The whole flow against the real peer (django-oauth-toolkit): start, authorize, callback, token,
/// expiry, refresh, rotation, revocation — on both backends.
@Suite(.enabled(if: OAuthPeer.shouldRun)) struct IntegrationFlowTests {
    @Test(arguments: Backend.allCases)
    func startAuthorizeCallbackTokenRefreshRotateRevoke(backend: Backend) throws {
        try OAuthPeer.exclusively {
            let harness = try IntegrationHarness(backend)
            let peer = harness.peer
            try peer.resetCounts(user: harness.user)
            let (start, query) = try harness.authorize()
            #expect(start.authorizeURL.contains("code_challenge_method=S256") && start.authorizeURL.contains("code_challenge="))
            #expect(query["state"] == start.state && query["code"] != nil)

            let outcome = try harness.services.integrations.callback(query: query)
            #expect(outcome.result == .connected)
            let id = try #require(outcome.connectionID)
            #expect(outcome.redirectLocation == "\(IntegrationHarness.returnURL)?outcome=connected&provider=dot&connection_id=\(id)")
            let listed = try harness.services.integrations.list(customer: "acme")
            #expect(listed.map(\.id) == [id] && listed.first?.status == .active && listed.first?.refreshable == true)

            // Fresh while not within the margin: no call to the provider.
            let first = try harness.services.integrations.freshToken(connectionID: id)
            #expect(!first.refreshed && first.tokenType == "Bearer")
            #expect(try peer.isActive(first.accessToken))
            let firstRefresh = try #require(try harness.heldRefreshToken(id))
            // Stored sealed: neither token appears in the row.
            let row = try harness.sealedRow(id)
            #expect(row.keyID == "k1" && row.access.hasPrefix("k1:") && !row.access.contains(first.accessToken))
            #expect(row.refresh.map { !$0.contains(firstRefresh) } == true)

            // Ten seconds later the 5 s token has expired: refreshed, rotated.
            let later = Date().addingTimeInterval(10)
            let second = try harness.services.integrations.freshToken(connectionID: id, now: { later })
            #expect(second.refreshed && second.accessToken != first.accessToken)
            #expect(try peer.isActive(second.accessToken) && !(try peer.isActive(first.accessToken)))
            let secondRefresh = try #require(try harness.heldRefreshToken(id))
            #expect(secondRefresh != firstRefresh)
            #expect(try peer.counts(user: harness.user).refreshSucceeded == 1)

            // Disconnect revokes at the peer, then deletes and records.
            let disconnection = try harness.services.integrations.disconnect(connectionID: id)
            #expect(disconnection.revocation == .revoked && disconnection.revocationError == nil)
            #expect(try peer.counts(user: harness.user).revoke == 1)
            #expect(!(try peer.isActive(second.accessToken)))
            #expect(try peer.refreshDirectly(secondRefresh).status == 400)
            #expect(try harness.services.integrations.list(customer: "acme").isEmpty)
            #expect(throws: IntegrationError.self) { try harness.services.integrations.freshToken(connectionID: id) }
            let recorded = try harness.store.database.withConnection { connection in
                try connection.queryFirst("SELECT revocation FROM oauth_disconnections WHERE connection_id = \(id)")?.get("revocation", as: String.self)
            }
            #expect(recorded == "revoked")
            let mails = try harness.queuedMails()
            #expect(mails.map(\.dedupeKey) == ["integration_disconnected:\(id)"])
            #expect(mails.first?.template == "integration_disconnected" && mails.first?.recipient == "ops@acme.test")
            #expect(try harness.integrationEvents() == ["integration.connected", "integration.disconnected"])
        }
    }

    /// Reusing a rotated refresh token makes the peer revoke the whole family: Tollgate's next
    /// refresh gets `invalid_grant`, marks the connection `refresh_failed` at once and queues the mail.
    @Test(arguments: Backend.allCases)
    func deadGrantMarksRefreshFailedAndQueuesTheMail(backend: Backend) throws {
        try OAuthPeer.exclusively {
            let harness = try IntegrationHarness(backend)
            let id = try harness.connect()
            let original = try #require(try harness.heldRefreshToken(id))
            let later = Date().addingTimeInterval(10)
            #expect(try harness.services.integrations.freshToken(connectionID: id, now: { later }).refreshed)
            // The old refresh token is dead at the peer after rotation…
            let reuse = try harness.peer.refreshDirectly(original)
            #expect(reuse.status == 400 && reuse.text.contains("invalid_grant"))
            // …and its reuse revoked the family, so Tollgate's refresh fails for good.
            let muchLater = later.addingTimeInterval(10)
            do {
                _ = try harness.services.integrations.freshToken(connectionID: id, now: { muchLater })
                Issue.record("expected connection_refresh_failed")
            } catch let error as IntegrationError {
                #expect(error.code == .refreshFailed)
            }
            let connection = try harness.services.integrations.show(connectionID: id)
            #expect(connection.status == .refreshFailed && connection.failureCount == 1)
            #expect(connection.lastError?.contains("invalid_grant") == true)
            let mails = try harness.queuedMails()
            #expect(mails.count == 1 && mails.first?.dedupeKey.hasPrefix("integration_refresh_failed:\(id):") == true)
            // Later calls answer at once, without the provider.
            try harness.peer.resetCounts(user: harness.user)
            #expect(throws: IntegrationError.self) { try harness.services.integrations.freshToken(connectionID: id, now: { muchLater }) }
            #expect(try harness.peer.counts(user: harness.user).token == 0)
            // Reconnecting makes it active again, same id.
            #expect(try harness.connect() == id)
            #expect(try harness.services.integrations.show(connectionID: id).status == .active)
            #expect(try harness.integrationEvents() == ["integration.connected", "integration.refresh_failed", "integration.connected"])
        }
    }

    /// Transient failures (the token endpoint unreachable) count; the maximum in a row marks it.
    @Test(arguments: Backend.allCases)
    func repeatedTransientFailuresMarkRefreshFailed(backend: Backend) throws {
        try OAuthPeer.exclusively {
            let harness = try IntegrationHarness(backend)
            let id = try harness.connect()
            let broken = try harness.anotherInstance(tokenURL: "http://127.0.0.1:9/o/token/", maxFailures: 3)
            defer { broken.database.close() }
            let later = Date().addingTimeInterval(10)
            for attempt in 1...3 {
                do {
                    _ = try broken.integrations.freshToken(connectionID: id, now: { later })
                    Issue.record("expected a failure")
                } catch let error as IntegrationError {
                    #expect(error.code == (attempt < 3 ? .providerUnavailable : .refreshFailed))
                }
                #expect(try broken.integrations.show(connectionID: id).failureCount == attempt)
            }
            #expect(try broken.integrations.show(connectionID: id).status == .refreshFailed)
            #expect(try harness.queuedMails().count == 1)
        }
    }
}
