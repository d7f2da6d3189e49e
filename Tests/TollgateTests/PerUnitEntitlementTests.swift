import Foundation
import Testing
import Tollgate
import TollgateWire

/// Per-unit limits (docs/seats.md): `min(max, base + per_unit × quantity)` at the subscription's
/// quantity, reported with their source, and seats held reported against the limit.
@Suite struct PerUnitEntitlementTests {
    static let team = Plan(
        key: "pro", name: "Team",
        entitlements: ["sso": .enabled],
        perUnit: ["seats": PerUnitEntitlement(perUnit: 1), "projects": PerUnitEntitlement(perUnit: 3, base: 2, max: 20)])

    static func input(quantity: Int, status: SubscriptionStatus = .active, grants: [Grant] = [], seats: [FeatureKey: Int64] = [:]) -> EvaluationInput {
        var subscription = Fixture.subscription(status)
        subscription.quantity = quantity
        return EvaluationInput(
            features: Fixture.features, plan: team, defaultPlan: Fixture.free, subscription: subscription, grants: grants, seats: seats,
            now: Fixture.now)
    }

    @Test(arguments: [(0, 0, 2), (1, 1, 5), (6, 6, 20), (25, 25, 20)])
    func theLimitFollowsTheQuantityUpToTheCap(quantity: Int, seats: Int64, projects: Int64) {
        let result = Evaluator.evaluate(Self.input(quantity: quantity))
        #expect(result["seats"]?.value == .limit(seats) && result["seats"]?.remaining == seats)
        #expect(result["projects"]?.value == .limit(projects))
        #expect(result["seats"]?.source == .planPerUnit)
        #expect(result["projects"]?.perUnit == PerUnitBasis(perUnit: 3, base: 2, max: 20, quantity: quantity))
        #expect(result["sso"]?.source == .plan && result["sso"]?.perUnit == nil)
    }

    @Test func theArithmeticSaturatesInsteadOfOverflowing() {
        #expect(PerUnitEntitlement(perUnit: .max / 2).limit(quantity: 3) == .max)
        #expect(PerUnitEntitlement(perUnit: 5, base: .max - 1).limit(quantity: 2) == .max)
        #expect(PerUnitEntitlement(perUnit: 5, max: 7).limit(quantity: .max) == 7)
        #expect(PerUnitEntitlement(perUnit: 4).limit(quantity: -3) == 0)
    }

    @Test func aMoreGenerousGrantWinsAndSaysSo() {
        let grant = Grant(id: "g1", feature: "seats", value: .limit(8), reason: "r", grantedBy: "t", createdAt: Fixture.now.addingTimeInterval(-60))
        var result = Evaluator.evaluate(Self.input(quantity: 5, grants: [grant]))
        #expect(result["seats"]?.value == .limit(8) && result["seats"]?.source == .grant && result["seats"]?.perUnit == nil)
        result = Evaluator.evaluate(Self.input(quantity: 9, grants: [grant]))
        #expect(result["seats"]?.value == .limit(9) && result["seats"]?.source == .planPerUnit)
    }

    @Test func withoutAccessTheDefaultPlanCounts() {
        var free = Fixture.free
        free.perUnit["projects"] = PerUnitEntitlement(perUnit: 10, base: 1)
        free.entitlements["projects"] = nil
        var input = Self.input(quantity: 30, status: .canceled)
        input.defaultPlan = free
        let result = Evaluator.evaluate(input)
        #expect(result["projects"]?.value == .limit(1), "the default plan's quantity is 0: only base counts")
        #expect(result["projects"]?.perUnit?.quantity == 0)
        #expect(result["seats"]?.value == Fixture.free.entitlements["seats"])
    }

    @Test func seatsHeldAreReportedWithTheExcess() {
        let result = Evaluator.evaluate(Self.input(quantity: 4, status: .active, seats: ["seats": 6, "projects": 3]))
        #expect(result["seats"]?.seats == SeatUse(assigned: 6, overLimit: 2))
        #expect(result["projects"]?.seats == SeatUse(assigned: 3, overLimit: 0))
        #expect(Evaluator.evaluate(Self.input(quantity: 4))["seats"]?.seats == nil)
        #expect(SeatUse(assigned: 3, value: nil).overLimit == 3, "not entitled: every holder is over")
        #expect(SeatUse(assigned: 3, value: .unlimited).overLimit == 0)
    }

    /// The check reads the per-unit limit like any other (it is in the value), and the snapshot
    /// keeps the basis and the seats through its JSON.
    @Test func theSnapshotChecksAndRoundTripsThePerUnitLimit() throws {
        let snapshot = Evaluator.snapshot(customer: "org_1", input: Self.input(quantity: 4, seats: ["seats": 2]))
        #expect(snapshot.check("seats", quantity: 4).allowed)
        #expect(snapshot.check("seats", quantity: 5).reason == .limitExceeded)
        let json = try WireJSON.encoder().encode(snapshot)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains(#""source":"plan_per_unit""#) && text.contains(#""per_unit":{"base":0,"per_unit":1,"quantity":4}"#), "\(text)")
        #expect(text.contains(#""seats":{"assigned":2,"over_limit":0}"#))
        let decoded = try WireJSON.decoder().decode(EntitlementSnapshot.self, from: json)
        #expect(decoded == snapshot)
        #expect(decoded.check("seats", quantity: 5).reason == .limitExceeded)
    }

    /// A plan's `entitlements` object holds both forms, and writes them back as it read them.
    @Test func aPlanReadsAndWritesPerUnitValuesInItsEntitlements() throws {
        let json = #"{"key":"team","name":"Team","entitlements":{"seats":{"per_unit":1},"projects":{"per_unit":3,"max":100,"base":2},"sso":true,"api.requests":500}}"#
        let plan = try WireJSON.decoder().decode(Plan.self, from: Data(json.utf8))
        #expect(plan.perUnit == ["seats": PerUnitEntitlement(perUnit: 1), "projects": PerUnitEntitlement(perUnit: 3, base: 2, max: 100)])
        #expect(plan.entitlements == ["sso": .enabled, "api.requests": .limit(500)])
        #expect(plan.includes("seats") && plan.includes("sso") && !plan.includes("audit_log"))
        let again = try WireJSON.decoder().decode(Plan.self, from: try WireJSON.encoder().encode(plan))
        #expect(again == plan)
        #expect(PerUnitEntitlement(perUnit: 3, base: 2, max: 100).description == "2 + 3 per unit, at most 100")
    }
}
