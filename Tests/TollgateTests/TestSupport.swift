import Foundation
import Tollgate
import TollgateWire

/// Fixtures shared by the tests.
enum Fixture {
    /// 2027-12-31T12:00:00Z, a fixed instant.
    static let now = utc("2027-12-31T12:00:00Z")

    /// Parses an ISO 8601 UTC timestamp, with optional fractional seconds.
    static func utc(_ string: String) -> Date {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = string.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        guard let date = parser.date(from: string) else {
            preconditionFailure("bad fixture timestamp \(string)")
        }
        return date
    }

    static let features: [Feature] = [
        Feature(key: "sso", name: "SSO", kind: .boolean),
        Feature(key: "audit_log", name: "Audit log", kind: .boolean),
        Feature(key: "seats", name: "Seats", kind: .limit),
        Feature(key: "projects", name: "Projects", kind: .limit),
        Feature(key: "api.requests", name: "API requests", kind: .metered, reset: .month),
        Feature(key: "emails.sent", name: "Emails", kind: .metered, reset: .day),
    ]

    static let pro = Plan(
        key: "pro",
        name: "Pro",
        prices: [Price(interval: .month, currency: "eur", unitAmount: 4_900)],
        trialDays: 14,
        entitlements: ["sso": .enabled, "seats": .limit(10), "projects": .unlimited, "api.requests": .limit(10_000)],
        rateLimits: [RateLimitPolicy(name: "api", limit: 100, windowSeconds: 60, burst: 20)]
    )

    static let free = Plan(
        key: "free",
        name: "Free",
        entitlements: ["seats": .limit(1), "projects": .limit(3), "api.requests": .limit(100)],
        isDefault: true
    )

    static func subscription(_ status: SubscriptionStatus, cancelAtPeriodEnd: Bool = false, pastDueSince: Date? = nil) -> SubscriptionState {
        SubscriptionState(
            planKey: "pro",
            status: status,
            quantity: 3,
            currentPeriodStart: utc("2027-12-15T00:00:00Z"),
            currentPeriodEnd: utc("2028-01-15T00:00:00Z"),
            cancelAtPeriodEnd: cancelAtPeriodEnd,
            pastDueSince: pastDueSince
        )
    }

    static func grant(_ feature: FeatureKey, _ value: EntitlementValue, expiresAt: Date? = nil, revokedAt: Date? = nil) -> Grant {
        Grant(
            id: "grant_\(feature)", feature: feature, value: value, reason: "support ticket", grantedBy: "ops@example.com",
            createdAt: utc("2027-12-01T00:00:00Z"), expiresAt: expiresAt, revokedAt: revokedAt
        )
    }

    static func input(
        subscription: SubscriptionState? = subscription(.active),
        plan: Plan? = pro,
        defaultPlan: Plan? = free,
        grants: [Grant] = [],
        usage: [FeatureKey: Int64] = [:],
        now: Date = now
    ) -> EvaluationInput {
        EvaluationInput(
            features: features, plan: plan, defaultPlan: defaultPlan, subscription: subscription,
            grants: grants, usage: usage, now: now
        )
    }
}

/// The wire's own JSON conventions (``WireJSON``: snake_case keys, RFC 3339 instants, sorted
/// keys), as the service and the client use them.
extension WireJSON {
    static func string<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder().encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try decoder().decode(type, from: Data(json.utf8))
    }

    static func roundTrip<T: Codable>(_ value: T) throws -> T {
        try decoder().decode(T.self, from: try encoder().encode(value))
    }
}
