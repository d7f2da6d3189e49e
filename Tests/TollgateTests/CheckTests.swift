import Foundation
import Testing
import Tollgate
import TollgateWire

/// `EntitlementSnapshot.check` semantics.
@Suite struct CheckTests {
    private func snapshot(
        subscription: SubscriptionState? = Fixture.subscription(.active),
        usage: [FeatureKey: Int64] = ["api.requests": 9_990]
    ) -> EntitlementSnapshot {
        Evaluator.snapshot(customer: "org_1", input: Fixture.input(subscription: subscription, usage: usage))
    }

    @Test func enabledBooleanIsAllowed() {
        let result = snapshot().check("sso")
        #expect(result == CheckResult(allowed: true, feature: "sso", value: .enabled))
    }

    @Test func booleanIgnoresAPositiveQuantity() {
        #expect(snapshot().check("sso", quantity: 1_000).allowed)
    }

    @Test(arguments: [0, -1, Int64.min])
    func quantityBelowOneIsInvalid(quantity: Int64) {
        for feature: FeatureKey in ["sso", "seats", "api.requests", "audit_log", "nope"] {
            let result = snapshot().check(feature, quantity: quantity)
            #expect(!result.allowed)
            #expect(result.reason == .invalidQuantity)
        }
    }

    @Test func unknownFeatureIsDenied() {
        let result = snapshot().check("does.not.exist")
        #expect(result == CheckResult(allowed: false, reason: .unknownFeature, feature: "does.not.exist"))
    }

    @Test func featureNotInPlanIsDenied() {
        let result = snapshot().check("audit_log")
        #expect(!result.allowed && result.reason == .featureNotInPlan && result.value == nil)
    }

    @Test func withoutAccessFeatureMissingFromTheDefaultPlanIsNoActiveSubscription() {
        let result = snapshot(subscription: Fixture.subscription(.canceled)).check("sso")
        #expect(!result.allowed && result.reason == .noActiveSubscription)
        #expect(snapshot(subscription: nil).check("seats").allowed)
    }

    @Test(arguments: [(Int64(1), true), (9, true), (10, true), (11, false), (.max, false)])
    func limitAllowsATotalUpToTheLimit(quantity: Int64, allowed: Bool) {
        let result = snapshot().check("seats", quantity: quantity)
        #expect(result.allowed == allowed)
        #expect(result.reason == (allowed ? nil : .limitExceeded))
        #expect(result.value == .limit(10) && result.remaining == 10 && result.used == nil)
    }

    @Test func unlimitedLimitAllowsAnyQuantity() {
        #expect(snapshot().check("projects", quantity: .max).allowed)
    }

    @Test(arguments: [(Int64(1), true), (10, true), (11, false)])
    func meteredAllowsUsageUpToTheQuota(quantity: Int64, allowed: Bool) {
        let result = snapshot().check("api.requests", quantity: quantity)
        #expect(result.allowed == allowed)
        #expect(result.reason == (allowed ? nil : .limitExceeded))
        #expect(result.used == 9_990 && result.remaining == 10)
        #expect(result.resetsAt == Fixture.utc("2028-01-01T00:00:00Z"))
    }

    @Test func meteredCheckNearInt64MaxDoesNotOverflow() {
        var snapshot = snapshot()
        snapshot.entitlements["api.requests"] = FeatureEntitlement(
            feature: "api.requests", kind: .metered, value: .limit(.max), source: .grant, used: .max - 1, remaining: 1
        )
        #expect(snapshot.check("api.requests", quantity: 1).allowed)
        let over = snapshot.check("api.requests", quantity: 2)
        #expect(!over.allowed && over.reason == .limitExceeded)
        #expect(!snapshot.check("api.requests", quantity: .max).allowed)
    }

    @Test func exhaustedQuotaIsDenied() {
        let result = snapshot(usage: ["api.requests": 10_000]).check("api.requests")
        #expect(!result.allowed && result.reason == .limitExceeded && result.remaining == 0)
    }

    @Test func unlimitedMeteredIsAllowedEvenWithHugeUsage() {
        var snapshot = snapshot()
        snapshot.entitlements["api.requests"] = FeatureEntitlement(feature: "api.requests", kind: .metered, value: .unlimited, source: .plan, used: .max)
        #expect(snapshot.check("api.requests", quantity: .max).allowed)
    }

    @Test func replacingEntitlementsUpdatesChecks() {
        var snapshot = snapshot()
        #expect(!snapshot.check("audit_log").allowed)
        snapshot.entitlements["audit_log"] = FeatureEntitlement(feature: "audit_log", kind: .boolean, value: .enabled, source: .grant)
        #expect(snapshot.check("audit_log").allowed)
        snapshot.entitlements = [:]
        #expect(snapshot.check("audit_log").reason == .unknownFeature)
    }

    @Test func checksFindEveryFeatureOfALargeSnapshot() {
        let features = (0..<500).map { Feature(key: FeatureKey(stringLiteral: "feature.number_\($0)"), name: "F\($0)", kind: .limit) }
        let plan = Plan(key: "big", name: "Big", entitlements: Dictionary(uniqueKeysWithValues: features.enumerated().map { ($1.key, .limit(Int64($0))) }))
        let snapshot = Evaluator.snapshot(
            customer: "org_1",
            input: EvaluationInput(features: features, plan: plan, subscription: Fixture.subscription(.active), now: Fixture.now)
        )
        for (index, feature) in features.enumerated() {
            #expect(snapshot.check(feature.key, quantity: Int64(index)).allowed == (index > 0))
        }
        #expect(snapshot.check("feature.number_500").reason == .unknownFeature)
    }

    @Test func checkResultEncodesForTheAPI() throws {
        #expect(try WireJSON.string(snapshot().check("api.requests", quantity: 20))
            == #"{"allowed":false,"feature":"api.requests","reason":"limit_exceeded","remaining":10,"resets_at":"2028-01-01T00:00:00Z","used":9990,"value":10000}"#)
        let result = snapshot().check("seats", quantity: 3)
        #expect(try WireJSON.roundTrip(result) == result)
    }
}
