import Foundation
import Testing
import Tollgate
import TollgateWire

/// JSON shapes of the domain types, as the API writes them, and round trips.
@Suite struct CodingTests {
    @Test(arguments: [
        (EntitlementValue.enabled, "true"),
        (.limit(5), "5"),
        (.limit(0), "0"),
        (.unlimited, "\"unlimited\""),
    ])
    func entitlementValueIsTrueAnIntegerOrUnlimited(value: EntitlementValue, json: String) throws {
        #expect(try WireJSON.string(value) == json)
        #expect(try WireJSON.decode(EntitlementValue.self, json) == value)
    }

    @Test(arguments: ["false", "\"Unlimited\"", "\"5\"", "1.5", "null", "{}"])
    func entitlementValueRejectsAnythingElse(json: String) {
        #expect(throws: DecodingError.self) { try WireJSON.decode(EntitlementValue.self, json) }
    }

    @Test func planEncodesEntitlementsAsAnObjectKeyedByFeature() throws {
        let plan = Plan(
            key: "pro", name: "Pro",
            prices: [Price(interval: .year, currency: "usd", unitAmount: 49_000)],
            trialDays: 14,
            entitlements: ["sso": .enabled, "max_seats": .limit(5), "api.requests": .unlimited],
            rateLimits: [RateLimitPolicy(name: "api", limit: 100, windowSeconds: 60, burst: 10)]
        )
        let json = try WireJSON.string(plan)
        #expect(json == #"{"entitlements":{"api.requests":"unlimited","max_seats":5,"sso":true},"is_default":false,"key":"pro","name":"Pro","prices":[{"currency":"usd","interval":"year","unit_amount":49000}],"rate_limits":[{"burst":10,"limit":100,"name":"api","window_seconds":60}],"status":"active","trial_days":14}"#)
        #expect(try WireJSON.roundTrip(plan) == plan)
        #expect(try JSONDecoder().decode(Plan.self, from: JSONEncoder().encode(plan)) == plan)
    }

    @Test func planDecodesWithDefaultsForOmittedFields() throws {
        let plan = try WireJSON.decode(Plan.self, #"{"key":"free","name":"Free","entitlements":{"seats":1}}"#)
        #expect(plan == Plan(key: "free", name: "Free", entitlements: ["seats": .limit(1)]))
        #expect(plan.status == .active && plan.trialDays == 0 && !plan.isDefault && plan.prices.isEmpty && plan.rateLimits.isEmpty)
    }

    @Test func planRejectsAnInvalidFeatureKey() {
        #expect(throws: DecodingError.self) {
            try WireJSON.decode(Plan.self, #"{"key":"free","name":"Free","entitlements":{"Seats":1}}"#)
        }
    }

    @Test func featureAndSubscriptionUseSnakeCaseValues() throws {
        #expect(try WireJSON.string(Feature(key: "api.requests", name: "API", kind: .metered, reset: .billingPeriod))
            == #"{"key":"api.requests","kind":"metered","name":"API","reset":"billing_period"}"#)
        let subscription = SubscriptionState(
            planKey: "pro", status: .pastDue, quantity: 2,
            currentPeriodStart: Fixture.utc("2027-12-15T00:00:00Z"), currentPeriodEnd: Fixture.utc("2028-01-15T00:00:00Z"),
            pastDueSince: Fixture.utc("2027-12-20T00:00:00Z")
        )
        #expect(try WireJSON.string(subscription)
            == #"{"cancel_at_period_end":false,"current_period_end":"2028-01-15T00:00:00Z","current_period_start":"2027-12-15T00:00:00Z","past_due_since":"2027-12-20T00:00:00Z","plan_key":"pro","quantity":2,"status":"past_due"}"#)
        #expect(try WireJSON.roundTrip(subscription) == subscription)
        #expect(try WireJSON.string(SubscriptionStatus.incompleteExpired) == "\"incomplete_expired\"")
    }

    @Test func grantRoundTrips() throws {
        let grant = Fixture.grant("seats", .limit(20), expiresAt: Fixture.utc("2028-01-01T00:00:00Z"))
        #expect(try WireJSON.roundTrip(grant) == grant)
        #expect(try WireJSON.string(grant).contains(#""granted_by":"ops@example.com""#))
    }

    @Test func denialReasonIsAPlainStringAndAnOpenSet() throws {
        #expect(try WireJSON.string(DenialReason.featureNotInPlan) == "\"feature_not_in_plan\"")
        #expect(try WireJSON.decode(DenialReason.self, "\"rate_limited\"") == DenialReason(rawValue: "rate_limited"))
        let codes: [DenialReason] = [.featureNotInPlan, .limitExceeded, .noActiveSubscription, .unknownCustomer, .unknownFeature, .invalidQuantity]
        #expect(codes.map(\.rawValue) == ["feature_not_in_plan", "limit_exceeded", "no_active_subscription", "unknown_customer", "unknown_feature", "invalid_quantity"])
    }

    @Test func entitlementSourceCodes() throws {
        #expect(try WireJSON.string(EntitlementSource.defaultPlan) == "\"default_plan\"")
        #expect(EntitlementSource.allCases.map(\.rawValue) == ["plan", "plan_per_unit", "default_plan", "grant", "none"])
    }
}

/// The snapshot format.
@Suite struct SnapshotCodingTests {
    private let snapshot = Evaluator.snapshot(
        customer: "org_42",
        input: Fixture.input(grants: [Fixture.grant("audit_log", .enabled)], usage: ["api.requests": 250])
    )

    @Test func snapshotRoundTripsThroughTheWireFormat() throws {
        let decoded = try WireJSON.roundTrip(snapshot)
        #expect(decoded == snapshot)
        #expect(decoded.check("api.requests", quantity: 10) == snapshot.check("api.requests", quantity: 10))
    }

    @Test func snapshotRoundTripsThroughDefaultCoders() throws {
        let decoded = try JSONDecoder().decode(EntitlementSnapshot.self, from: JSONEncoder().encode(snapshot))
        #expect(decoded == snapshot)
    }

    @Test func snapshotJSONHasTheDocumentedShape() throws {
        let small = EntitlementSnapshot(
            customer: "org_1", generatedAt: Fixture.now, plan: "pro", planSource: .plan, subscriptionStatus: .active,
            entitlements: [
                "sso": FeatureEntitlement(feature: "sso", kind: .boolean, value: .enabled, source: .plan),
                "audit_log": FeatureEntitlement(feature: "audit_log", kind: .boolean, value: nil, source: .none, denial: .featureNotInPlan),
                "api.requests": FeatureEntitlement(
                    feature: "api.requests", kind: .metered, value: .limit(100), source: .grant, used: 40, remaining: 60,
                    resetsAt: Fixture.utc("2028-01-01T00:00:00Z"), windowStart: Fixture.utc("2027-12-01T00:00:00Z")
                ),
            ]
        )
        #expect(try WireJSON.string(small) == """
            {"customer":"org_1","entitlements":{\
            "api.requests":{"feature":"api.requests","kind":"metered","remaining":60,"resets_at":"2028-01-01T00:00:00Z","source":"grant","used":40,"value":100,"window_start":"2027-12-01T00:00:00Z"},\
            "audit_log":{"denial":"feature_not_in_plan","feature":"audit_log","kind":"boolean","source":"none"},\
            "sso":{"feature":"sso","kind":"boolean","source":"plan","value":true}},\
            "format_version":1,"generated_at":"2027-12-31T12:00:00Z","plan":"pro","plan_source":"plan","rate_limits":[],"subscription_status":"active"}
            """)
    }

    @Test func featureKeysWithUnderscoresSurviveTheSnakeCaseDecoder() throws {
        let decoded = try WireJSON.roundTrip(snapshot)
        #expect(decoded.entitlements["audit_log"]?.value == .enabled)
        #expect(decoded.entitlements["audit_log"]?.source == .grant)
    }

    @Test(arguments: [2, 99])
    func newerFormatVersionIsRejectedWithAClearError(version: Int) throws {
        let json = try WireJSON.string(snapshot).replacingOccurrences(of: #""format_version":1"#, with: #""format_version":\#(version)"#)
        let error = #expect(throws: SnapshotFormatError.self) { try WireJSON.decode(EntitlementSnapshot.self, json) }
        #expect(error == SnapshotFormatError(found: version, supported: 1))
        #expect(error?.description.contains("newer than this library reads") == true)
    }

    @Test func formatVersionZeroIsRejected() throws {
        let json = try WireJSON.string(snapshot).replacingOccurrences(of: #""format_version":1"#, with: #""format_version":0"#)
        #expect(throws: SnapshotFormatError(found: 0, supported: 1)) { try WireJSON.decode(EntitlementSnapshot.self, json) }
    }

    @Test func missingFormatVersionIsRejected() throws {
        let json = try WireJSON.string(snapshot).replacingOccurrences(of: #""format_version":1,"#, with: "")
        #expect(throws: DecodingError.self) { try WireJSON.decode(EntitlementSnapshot.self, json) }
    }

    @Test func entitlementFiledUnderTheWrongKeyIsRejected() throws {
        let json = try WireJSON.string(snapshot).replacingOccurrences(of: #""feature":"sso""#, with: #""feature":"seats""#)
        #expect(throws: DecodingError.self) { try WireJSON.decode(EntitlementSnapshot.self, json) }
    }
}
