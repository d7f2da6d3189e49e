import Foundation
import Synchronization
import Testing
import TollgateIntegrations
import TollgateTestSupport
@testable import TollgateCore

/// What a refresh answer does to the held refresh token (issue 7 point 4), against
/// ``FakeOAuthProvider`` on a real socket: the real peer always rotates, so it cannot show an
/// answer without `refresh_token`. The connection is made through the whole flow (start,
/// authorize, callback, code exchange with PKCE) as against the real peer.
@Suite struct IntegrationRefreshTokenTests {
    /// An answer without `refresh_token` keeps the old one: it is still held after the refresh,
    /// and the next refresh sends it again.
    @Test(arguments: Backend.allCases)
    func refreshAnswerWithoutARefreshTokenKeepsTheOldOne(backend: Backend) throws {
        let provider = try FakeOAuthProvider(rotates: false)
        let harness = try IntegrationHarness(backend, peer: provider.peer)
        let id = try harness.connect()
        let original = try #require(try harness.heldRefreshToken(id))
        #expect(original.hasPrefix("refresh-"))
        let connected = try harness.services.integrations.freshToken(connectionID: id)
        #expect(!connected.refreshed)

        // Two hours on, the one-hour token has expired: refreshed, and the old refresh token kept.
        let later = Date().addingTimeInterval(7200)
        let first = try harness.services.integrations.freshToken(connectionID: id, now: { later })
        #expect(first.refreshed && first.accessToken != connected.accessToken)
        #expect(try harness.heldRefreshToken(id) == original)
        // The new expiry was stored: a minute later the new token is served without a refresh.
        let soonAfter = later.addingTimeInterval(60)
        let reused = try harness.services.integrations.freshToken(connectionID: id, now: { soonAfter })
        #expect(!reused.refreshed && reused.accessToken == first.accessToken)

        // The next refresh sends the kept token, and the provider accepts it.
        let muchLater = later.addingTimeInterval(7200)
        let second = try harness.services.integrations.freshToken(connectionID: id, now: { muchLater })
        #expect(second.refreshed && second.accessToken != first.accessToken)
        #expect(provider.refreshTokensReceived.withLock { $0 } == [original, original])
        #expect(try harness.heldRefreshToken(id) == original)
        #expect(try harness.services.integrations.show(connectionID: id).status == .active)
    }

    /// A rotated refresh token replaces the old one at once: held right after the refresh, sent by
    /// the next one (the provider has retired the old one and would refuse it).
    @Test(arguments: Backend.allCases)
    func rotatedRefreshTokenReplacesTheOldOneAtOnce(backend: Backend) throws {
        let provider = try FakeOAuthProvider(rotates: true)
        let harness = try IntegrationHarness(backend, peer: provider.peer)
        let id = try harness.connect()
        let original = try #require(try harness.heldRefreshToken(id))

        let later = Date().addingTimeInterval(7200)
        #expect(try harness.services.integrations.freshToken(connectionID: id, now: { later }).refreshed)
        let rotated = try #require(try harness.heldRefreshToken(id))
        #expect(rotated != original && rotated.hasPrefix("refresh-"))

        let muchLater = later.addingTimeInterval(7200)
        #expect(try harness.services.integrations.freshToken(connectionID: id, now: { muchLater }).refreshed)
        let rotatedAgain = try #require(try harness.heldRefreshToken(id))
        #expect(rotatedAgain != rotated && rotatedAgain != original)
        #expect(provider.refreshTokensReceived.withLock { $0 } == [original, rotated])
        let connection = try harness.services.integrations.show(connectionID: id)
        #expect(connection.status == .active && connection.failureCount == 0)
    }
}
