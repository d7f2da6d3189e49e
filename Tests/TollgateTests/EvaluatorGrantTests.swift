import Foundation
import Testing
import Tollgate

/// Grants: the more generous value wins, and only active grants count.
@Suite struct EvaluatorGrantTests {
    private func evaluate(_ grants: [Grant], subscription: SubscriptionState? = Fixture.subscription(.active), usage: [FeatureKey: Int64] = [:]) -> [FeatureKey: FeatureEntitlement] {
        Evaluator.evaluate(Fixture.input(subscription: subscription, grants: grants, usage: usage))
    }

    @Test func grantEnablesABooleanMissingFromThePlan() {
        let auditLog = evaluate([Fixture.grant("audit_log", .enabled)])["audit_log"]
        #expect(auditLog?.value == .enabled)
        #expect(auditLog?.source == .grant)
        #expect(auditLog?.denial == nil)
    }

    @Test func grantOnABooleanThePlanHasKeepsThePlanSource() {
        #expect(evaluate([Fixture.grant("sso", .enabled)])["sso"]?.source == .plan)
    }

    @Test func grantEnablesABooleanWithoutSubscription() {
        let sso = evaluate([Fixture.grant("sso", .enabled)], subscription: nil)["sso"]
        #expect(sso?.value == .enabled && sso?.source == .grant)
    }

    @Test(arguments: [
        (EntitlementValue.limit(25), EntitlementValue.limit(25), EntitlementSource.grant),
        (.limit(5), .limit(10), .plan),
        (.limit(10), .limit(10), .plan),
        (.unlimited, .unlimited, .grant),
    ])
    func limitGrantRaisesButNeverLowers(grant: EntitlementValue, expected: EntitlementValue, source: EntitlementSource) {
        let seats = evaluate([Fixture.grant("seats", grant)])["seats"]
        #expect(seats?.value == expected)
        #expect(seats?.source == source)
    }

    @Test func largestOfSeveralLimitGrantsWins() {
        let seats = evaluate([Fixture.grant("seats", .limit(12)), Fixture.grant("seats", .limit(40)), Fixture.grant("seats", .limit(20))])["seats"]
        #expect(seats?.value == .limit(40))
        #expect(seats?.remaining == 40)
    }

    @Test func unlimitedPlanLimitStaysUnlimited() {
        let projects = evaluate([Fixture.grant("projects", .limit(1_000))])["projects"]
        #expect(projects?.value == .unlimited && projects?.source == .plan)
    }

    @Test func meteredGrantsAddToThePlanQuota() {
        let requests = evaluate(
            [Fixture.grant("api.requests", .limit(5_000)), Fixture.grant("api.requests", .limit(2_500))],
            usage: ["api.requests": 12_000]
        )["api.requests"]
        #expect(requests?.value == .limit(17_500))
        #expect(requests?.source == .grant)
        #expect(requests?.used == 12_000)
        #expect(requests?.remaining == 5_500)
    }

    @Test func unlimitedMeteredGrantMakesTheQuotaUnlimited() {
        let requests = evaluate([Fixture.grant("api.requests", .limit(5)), Fixture.grant("api.requests", .unlimited)], usage: ["api.requests": 99_999])["api.requests"]
        #expect(requests?.value == .unlimited)
        #expect(requests?.remaining == nil)
        #expect(requests?.used == 99_999)
    }

    @Test func meteredGrantAloneEntitlesWithTheGrantAsQuota() {
        let emails = evaluate([Fixture.grant("emails.sent", .limit(300))], usage: ["emails.sent": 100])["emails.sent"]
        #expect(emails?.value == .limit(300) && emails?.source == .grant && emails?.remaining == 200)
    }

    @Test func meteredQuotaSumSaturatesInsteadOfOverflowing() {
        let requests = evaluate([Fixture.grant("api.requests", .limit(.max))])["api.requests"]
        #expect(requests?.value == .limit(.max))
    }

    @Test func expiredGrantStopsCountingAtItsExpiryInstant() {
        let justBefore = evaluate([Fixture.grant("audit_log", .enabled, expiresAt: Fixture.now.addingTimeInterval(0.001))])["audit_log"]
        #expect(justBefore?.value == .enabled)
        let atExpiry = evaluate([Fixture.grant("audit_log", .enabled, expiresAt: Fixture.now)])["audit_log"]
        #expect(atExpiry?.value == nil && atExpiry?.denial == .featureNotInPlan)
        let raisedThenExpired = evaluate([Fixture.grant("seats", .limit(50), expiresAt: Fixture.now)])["seats"]
        #expect(raisedThenExpired?.value == .limit(10) && raisedThenExpired?.source == .plan)
    }

    @Test func revokedGrantDoesNotCount() {
        let revoked = Fixture.grant("seats", .limit(50), revokedAt: Fixture.now.addingTimeInterval(-60))
        #expect(!revoked.isActive(at: Fixture.now))
        #expect(evaluate([revoked])["seats"]?.value == .limit(10))
    }

    @Test func grantForAnotherFeatureChangesNothing() {
        #expect(evaluate([Fixture.grant("projects", .limit(99))])["seats"]?.value == .limit(10))
    }

    @Test func enabledGrantIsNotAQuantityForLimitFeatures() {
        let seats = evaluate([Fixture.grant("seats", .enabled)])["seats"]
        #expect(seats?.value == .limit(10) && seats?.source == .plan)
    }

    @Test func grantOutsideTheCatalogIsIgnored() {
        #expect(evaluate([Fixture.grant("beta.feature", .enabled)])["beta.feature"] == nil)
    }
}
