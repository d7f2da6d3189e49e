import Foundation
import Testing
import Tollgate
@testable import TollgateCore
@testable import TollgateEntitlements
@testable import TollgateIntegrations
import TollgateTestSupport

/// Every way a callback can go wrong has a clear outcome, never a thrown error; and the
/// entitlement gate refuses with the reason code.
@Suite(.enabled(if: OAuthPeer.shouldRun)) struct IntegrationCallbackTests {
    @Test(arguments: Backend.allCases)
    func callbackOutcomes(backend: Backend) throws {
        try OAuthPeer.exclusively {
            let harness = try IntegrationHarness(backend)
            let service = harness.services.integrations

            // The person refused at the provider.
            let denied = try service.start(customer: "acme", provider: "dot", returnURL: IntegrationHarness.returnURL)
            let refusal = try service.callback(query: ["state": denied.state, "error": "access_denied"])
            #expect(refusal.result == .accessDenied)
            #expect(refusal.redirectLocation == "\(IntegrationHarness.returnURL)?outcome=access_denied&provider=dot")

            // Unknown state: no return URL to go to.
            let unknown = try service.callback(query: ["state": "never-issued", "code": "x"])
            #expect(unknown.result == .stateUnknown && unknown.redirectLocation == nil)
            #expect(try service.callback(query: ["code": "x"]).result == .invalidCallback)

            // A bad code: invalid_grant from the peer; the same state again: replayed.
            let (start, query) = try harness.authorize()
            var badCode = query
            badCode["code"] = "not-the-code"
            #expect(try service.callback(query: badCode).result == .invalidGrant)
            let replay = try service.callback(query: query)
            #expect(replay.result == .stateReplayed && replay.returnURL == IntegrationHarness.returnURL)
            #expect(start.state == query["state"])

            // Expired: the callback comes after the state's lifetime.
            let (late, lateQuery) = try harness.authorize()
            let expired = try service.callback(query: lateQuery, now: late.expiresAt.addingTimeInterval(1))
            #expect(expired.result == .stateExpired)
            #expect(try service.list(customer: "acme").isEmpty)

            // And a good one still works.
            let (_, good) = try harness.authorize(returnURL: nil)
            let connected = try service.callback(query: good)
            #expect(connected.result == .connected && connected.redirectLocation == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func entitlementGateRefusesWithTheReasonCode(backend: Backend) throws {
        try OAuthPeer.exclusively {
            let harness = try IntegrationHarness(backend)
            let service = harness.services.integrations
            func refusal(_ provider: String) -> IntegrationError? {
                do {
                    _ = try service.start(customer: "acme", provider: provider)
                    return nil
                } catch { return error as? IntegrationError }
            }
            // integrations.locked is in no plan.
            let locked = refusal("locked")
            #expect(locked?.code == .notEntitled && locked?.feature == "integrations.locked")
            #expect(locked?.reason == .noActiveSubscription)
            // One connection allowed: a second provider is over the limit; reconnecting the first is not.
            _ = try harness.connect(provider: "dot")
            let second = refusal("dot2")
            #expect(second?.code == .notEntitled && second?.feature == "integrations.connections" && second?.reason == .limitExceeded)
            #expect(refusal("dot") == nil)
            #expect(refusal("nope")?.code == .unknownProvider)
            #expect(throws: DomainError.unknownCustomer("ghost")) { try service.start(customer: "ghost", provider: "dot") }
        }
    }
}

/// Start checks that need no provider to answer: against ``FakeOAuthProvider``, without the peer.
@Suite struct IntegrationStartTests {
    @Test func returnURLMustBeListedExactly() throws {
        let provider = try FakeOAuthProvider(rotates: false)
        let harness = try IntegrationHarness(.sqlite, peer: provider.peer)
        for url in [IntegrationHarness.returnURL + "/", IntegrationHarness.returnURL + "?x=1", "https://evil.test/settings/integrations"] {
            #expect(throws: DomainError.self) {
                try harness.services.integrations.start(customer: "acme", provider: "dot", returnURL: url)
            }
        }
    }
}
