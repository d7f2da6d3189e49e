import Foundation
import Testing
import Tollgate
import TollgateWire

@Suite struct AccessPolicyTests {
    let policy = AccessPolicy()
    let periodEnd = Fixture.utc("2028-01-15T00:00:00Z")

    @Test(arguments: [
        (SubscriptionStatus.trialing, true), (.active, true), (.incomplete, false), (.incompleteExpired, false),
        (.unpaid, false), (.canceled, false), (.paused, false),
    ])
    func grantsAccessOnlyWhileTrialingOrActive(status: SubscriptionStatus, granted: Bool) {
        #expect(policy.grantsAccess(Fixture.subscription(status), at: Fixture.now) == granted)
    }

    @Test(arguments: [SubscriptionStatus.trialing, .active])
    func cancelAtPeriodEndKeepsAccessUntilThePeriodEndInstant(status: SubscriptionStatus) {
        let subscription = Fixture.subscription(status, cancelAtPeriodEnd: true)
        #expect(policy.grantsAccess(subscription, at: periodEnd.addingTimeInterval(-0.001)))
        #expect(!policy.grantsAccess(subscription, at: periodEnd))
        #expect(!policy.grantsAccess(subscription, at: periodEnd.addingTimeInterval(86_400)))
    }

    @Test func withoutCancelAtPeriodEndAccessOutlivesThePeriodEnd() {
        #expect(policy.grantsAccess(Fixture.subscription(.active), at: periodEnd.addingTimeInterval(86_400)))
    }

    @Test func cancelAtPeriodEndWithUnknownPeriodEndKeepsAccess() {
        var subscription = Fixture.subscription(.active, cancelAtPeriodEnd: true)
        subscription.currentPeriodEnd = nil
        #expect(policy.grantsAccess(subscription, at: periodEnd.addingTimeInterval(86_400)))
    }

    @Test func pastDueKeepsAccessForSevenDaysFromTheFirstFailedPayment() {
        let failed = Fixture.utc("2027-12-20T10:00:00Z")
        let subscription = Fixture.subscription(.pastDue, pastDueSince: failed)
        let graceEnd = failed.addingTimeInterval(7 * 86_400)
        #expect(policy.grantsAccess(subscription, at: failed))
        #expect(policy.grantsAccess(subscription, at: graceEnd.addingTimeInterval(-0.001)))
        #expect(!policy.grantsAccess(subscription, at: graceEnd))
        #expect(!policy.grantsAccess(subscription, at: graceEnd.addingTimeInterval(1)))
    }

    @Test func pastDueGraceFallsBackToThePeriodStart() {
        let subscription = Fixture.subscription(.pastDue)
        let graceEnd = Fixture.utc("2027-12-22T00:00:00Z")
        #expect(policy.grantsAccess(subscription, at: graceEnd.addingTimeInterval(-1)))
        #expect(!policy.grantsAccess(subscription, at: graceEnd))
    }

    @Test func pastDueWithNoKnownStartIsInsideTheGrace() {
        let subscription = SubscriptionState(planKey: "pro", status: .pastDue)
        #expect(policy.grantsAccess(subscription, at: Fixture.now))
        #expect(!AccessPolicy(pastDueGracePeriod: 0).grantsAccess(subscription, at: Fixture.now))
    }

    @Test func customGracePeriodMovesTheBoundary() {
        let failed = Fixture.utc("2027-12-20T10:00:00Z")
        let subscription = Fixture.subscription(.pastDue, pastDueSince: failed)
        let oneDay = AccessPolicy(pastDueGracePeriod: 86_400)
        #expect(oneDay.grantsAccess(subscription, at: failed.addingTimeInterval(86_399)))
        #expect(!oneDay.grantsAccess(subscription, at: failed.addingTimeInterval(86_400)))
        #expect(!AccessPolicy(pastDueGracePeriod: 0).grantsAccess(subscription, at: failed))
    }

    @Test func pastDueSetToCancelLosesAccessAtThePeriodEndEvenInsideTheGrace() {
        let subscription = Fixture.subscription(.pastDue, cancelAtPeriodEnd: true, pastDueSince: periodEnd.addingTimeInterval(-86_400))
        #expect(policy.grantsAccess(subscription, at: periodEnd.addingTimeInterval(-1)))
        #expect(!policy.grantsAccess(subscription, at: periodEnd))
    }

    @Test func defaultGracePeriodIsSevenDays() throws {
        #expect(AccessPolicy().pastDueGracePeriod == 604_800)
        #expect(try WireJSON.string(AccessPolicy()) == #"{"past_due_grace_period":604800}"#)
    }
}
