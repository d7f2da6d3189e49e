import Foundation
import Testing
import Tollgate

/// Which plan counts, where values come from, and why features are denied.
@Suite struct EvaluatorPlanTests {
    @Test(arguments: SubscriptionStatus.allCases)
    func subscriptionPlanCountsOnlyWhenThePolicyGrantsAccess(status: SubscriptionStatus) {
        let failedYesterday = Fixture.now.addingTimeInterval(-86_400)
        let result = Evaluator.evaluate(Fixture.input(subscription: Fixture.subscription(status, pastDueSince: failedYesterday)))
        let granted = status == .trialing || status == .active || status == .pastDue
        let seats = result["seats"]
        #expect(seats?.value == (granted ? .limit(10) : .limit(1)))
        #expect(seats?.source == (granted ? .plan : .defaultPlan))
        #expect(result["sso"]?.value == (granted ? .enabled : nil))
        #expect(result["sso"]?.denial == (granted ? nil : .noActiveSubscription))
    }

    @Test func customerWithoutSubscriptionGetsTheDefaultPlan() {
        let result = Evaluator.evaluate(Fixture.input(subscription: nil, plan: nil))
        #expect(result["projects"]?.value == .limit(3))
        #expect(result["projects"]?.source == .defaultPlan)
        #expect(result["projects"]?.remaining == 3)
        #expect(result["sso"]?.value == nil)
        #expect(result["sso"]?.source == EntitlementSource.none)
        #expect(result["sso"]?.denial == .noActiveSubscription)
    }

    @Test func withoutDefaultPlanNothingIsEntitledWithoutSubscription() {
        let result = Evaluator.evaluate(Fixture.input(subscription: Fixture.subscription(.canceled), defaultPlan: nil))
        #expect(result.count == Fixture.features.count)
        #expect(result.values.allSatisfy { $0.value == nil && $0.denial == .noActiveSubscription && $0.source == EntitlementSource.none })
    }

    @Test func featureMissingFromAnActivePlanIsNotInPlan() {
        let result = Evaluator.evaluate(Fixture.input())
        #expect(result["audit_log"]?.value == nil)
        #expect(result["audit_log"]?.denial == .featureNotInPlan)
        #expect(result["emails.sent"]?.denial == .featureNotInPlan)
        #expect(result["emails.sent"]?.remaining == nil)
    }

    @Test func everyCatalogFeatureIsEvaluatedWithItsKind() {
        let result = Evaluator.evaluate(Fixture.input())
        #expect(Set(result.keys) == Set(Fixture.features.map(\.key)))
        for feature in Fixture.features {
            #expect(result[feature.key]?.feature == feature.key)
            #expect(result[feature.key]?.kind == feature.kind)
        }
    }

    @Test func limitFeatureReportsItsLimitAsRemainingAndUnlimitedAsNil() {
        let result = Evaluator.evaluate(Fixture.input())
        #expect(result["seats"]?.remaining == 10)
        #expect(result["seats"]?.used == nil)
        #expect(result["projects"]?.value == .unlimited)
        #expect(result["projects"]?.remaining == nil)
    }

    @Test func booleanFeatureCarriesNoUsage() {
        let sso = Evaluator.evaluate(Fixture.input())["sso"]
        #expect(sso?.value == .enabled)
        #expect(sso?.source == .plan)
        #expect(sso?.used == nil && sso?.remaining == nil && sso?.resetsAt == nil && sso?.denial == nil)
    }

    @Test func snapshotNamesThePlanItsSourceAndTheStatus() {
        let active = Evaluator.snapshot(customer: "org_1", input: Fixture.input())
        #expect(active.plan == "pro" && active.planSource == .plan && active.subscriptionStatus == .active)
        #expect(active.customer == "org_1" && active.generatedAt == Fixture.now)
        #expect(active.formatVersion == EntitlementSnapshot.formatVersion)
        #expect(active.entitlements == Evaluator.evaluate(Fixture.input()))

        let unpaid = Evaluator.snapshot(customer: "org_1", input: Fixture.input(subscription: Fixture.subscription(.unpaid)))
        #expect(unpaid.plan == "free" && unpaid.planSource == .defaultPlan && unpaid.subscriptionStatus == .unpaid)

        let nothing = Evaluator.snapshot(customer: "org_1", input: Fixture.input(subscription: nil, plan: nil, defaultPlan: nil))
        #expect(nothing.plan == nil && nothing.planSource == EntitlementSource.none && nothing.subscriptionStatus == nil)
    }

    @Test func accessWithUnknownPlanFallsBackToTheDefaultPlan() {
        let snapshot = Evaluator.snapshot(customer: "org_1", input: Fixture.input(plan: nil))
        #expect(snapshot.plan == "free" && snapshot.planSource == .defaultPlan)
        #expect(snapshot.entitlements["sso"]?.denial == .featureNotInPlan)
    }

    @Test func pastDueBeyondTheGraceFallsBackToTheDefaultPlan() {
        let failed = Fixture.now.addingTimeInterval(-8 * 86_400)
        let result = Evaluator.evaluate(Fixture.input(subscription: Fixture.subscription(.pastDue, pastDueSince: failed)))
        #expect(result["seats"]?.source == .defaultPlan)
        #expect(result["sso"]?.denial == .noActiveSubscription)
    }

    @Test func customPolicyDecidesThePastDueFallback() {
        let since = Fixture.now.addingTimeInterval(-2 * 86_400)
        var input = Fixture.input(subscription: Fixture.subscription(.pastDue, pastDueSince: since))
        #expect(Evaluator.evaluate(input)["seats"]?.source == .plan)
        input.policy = AccessPolicy(pastDueGracePeriod: 86_400)
        #expect(Evaluator.evaluate(input)["seats"]?.source == .defaultPlan)
    }
}
