import Foundation
import Tollgate

/// A realistic customer: a 30-feature catalog (booleans, limits, metered quotas), a Pro
/// subscription, two grants and some usage, evaluated into a snapshot.
enum SampleSnapshot {
    static let now = Date(timeIntervalSince1970: 1_830_000_000)

    static func make() -> EntitlementSnapshot {
        var features: [Feature] = []
        var entitlements: [FeatureKey: EntitlementValue] = [:]
        var usage: [FeatureKey: Int64] = [:]
        let booleans = ["sso", "audit_log", "integrations.github", "integrations.slack", "integrations.jira",
                        "export.csv", "export.pdf", "branding.custom_domain", "support.priority", "api.webhooks"]
        let limits = ["seats", "projects", "environments", "api.keys", "teams",
                      "dashboards", "alerts", "workspaces", "roles.custom", "storage.gb"]
        let metered = ["api.requests", "emails.sent", "builds.minutes", "ai.tokens", "exports.monthly",
                       "sms.sent", "webhooks.deliveries", "reports.generated", "imports.rows", "search.queries"]
        for (index, key) in booleans.enumerated() {
            let featureKey = FeatureKey(stringLiteral: key)
            features.append(Feature(key: featureKey, name: key, kind: .boolean))
            if index % 3 != 2 { entitlements[featureKey] = .enabled }
        }
        for (index, key) in limits.enumerated() {
            let featureKey = FeatureKey(stringLiteral: key)
            features.append(Feature(key: featureKey, name: key, kind: .limit))
            entitlements[featureKey] = index == 9 ? .unlimited : .limit(Int64(5 * (index + 1)))
        }
        let periods: [ResetPeriod] = [.day, .month, .billingPeriod, .never]
        for (index, key) in metered.enumerated() {
            let featureKey = FeatureKey(stringLiteral: key)
            features.append(Feature(key: featureKey, name: key, kind: .metered, reset: periods[index % periods.count]))
            entitlements[featureKey] = index == 7 ? .unlimited : .limit(10_000 * Int64(index + 1))
            usage[featureKey] = Int64(1_234 * index)
        }
        let pro = Plan(key: "pro", name: "Pro", entitlements: entitlements, isDefault: false)
        let free = Plan(key: "free", name: "Free", entitlements: ["seats": .limit(1), "api.requests": .limit(1_000)], isDefault: true)
        let subscription = SubscriptionState(
            planKey: "pro", status: .active, quantity: 5,
            currentPeriodStart: now.addingTimeInterval(-10 * 86_400), currentPeriodEnd: now.addingTimeInterval(20 * 86_400)
        )
        let grants = [
            Grant(id: "g1", feature: "seats", value: .limit(50), reason: "deal", grantedBy: "sales", createdAt: now),
            Grant(id: "g2", feature: "api.requests", value: .limit(5_000), reason: "promo", grantedBy: "support", createdAt: now),
        ]
        let input = EvaluationInput(
            features: features, plan: pro, defaultPlan: free, subscription: subscription,
            grants: grants, usage: usage, now: now
        )
        return Evaluator.snapshot(customer: "org_42", input: input)
    }
}
