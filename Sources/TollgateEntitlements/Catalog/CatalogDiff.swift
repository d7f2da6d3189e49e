import Tollgate
import TollgateBase

/// What applying a catalog changes, in words an operator reads before saying yes.
package struct CatalogDiff: Sendable, Equatable, Encodable {
    package enum Action: String, Sendable, Encodable { case add, change, remove, archive }

    package struct Change: Sendable, Equatable, Encodable, CustomStringConvertible {
        package var action: Action
        /// `feature seats`, `plan pro`.
        package var subject: String
        /// What differs, one entry per field (`name: "Pro" → "Pro 2"`); empty for add/remove.
        package var details: [String]

        package var description: String {
            let sign = switch action {
            case .add: "+"
            case .change: "~"
            case .remove: "-"
            case .archive: "-"
            }
            let head = "\(sign) \(action.rawValue) \(subject)"
            return details.isEmpty ? head : head + "\n" + details.map { "    \($0)" }.joined(separator: "\n")
        }
    }

    package var changes: [Change]

    package var isEmpty: Bool { changes.isEmpty }

    /// The changes that turn `current` into `target`. Plans missing from `target` are archived,
    /// not deleted: subscriptions and history may still name them.
    package init(from current: Catalog, to target: Catalog) {
        var changes: [Change] = []
        let currentFeatures = Dictionary(current.features.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let targetFeatures = Set(target.features.map(\.key))
        for feature in target.features {
            guard let old = currentFeatures[feature.key] else {
                changes.append(Change(action: .add, subject: "feature \(feature.key)", details: []))
                continue
            }
            var details: [String] = []
            if old.name != feature.name { details.append("name: \"\(old.name)\" → \"\(feature.name)\"") }
            if old.kind != feature.kind { details.append("kind: \(old.kind.rawValue) → \(feature.kind.rawValue)") }
            if old.reset != feature.reset { details.append("reset: \(old.reset?.rawValue ?? "none") → \(feature.reset?.rawValue ?? "none")") }
            if old.alerts != feature.alerts { details.append("alerts: \(Self.describe(old.alerts)) → \(Self.describe(feature.alerts))") }
            if old.credits != feature.credits { details.append("credits: \(Self.describe(old.credits)) → \(Self.describe(feature.credits))") }
            if !details.isEmpty { changes.append(Change(action: .change, subject: "feature \(feature.key)", details: details)) }
        }
        for feature in current.features where !targetFeatures.contains(feature.key) {
            changes.append(Change(action: .remove, subject: "feature \(feature.key)", details: []))
        }

        if current.defaultAlerts != target.defaultAlerts {
            changes.append(Change(
                action: .change, subject: "default_alerts", details: ["\(Self.describe(current.defaultAlerts)) → \(Self.describe(target.defaultAlerts))"]))
        }

        let currentPools = Dictionary(current.creditPools.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let targetPools = Set(target.creditPools.map(\.key))
        for pool in target.creditPools {
            guard let old = currentPools[pool.key] else {
                changes.append(Change(action: .add, subject: "credit pool \(pool.key)", details: []))
                continue
            }
            var details: [String] = []
            if old.name != pool.name { details.append("name: \"\(old.name)\" → \"\(pool.name)\"") }
            if old.overageFloor != pool.overageFloor { details.append("overage_floor: \(old.overageFloor) → \(pool.overageFloor)") }
            if old.lowBalance != pool.lowBalance {
                details.append("low_balance: \(old.lowBalance.map(String.init) ?? "none") → \(pool.lowBalance.map(String.init) ?? "none")")
            }
            if Set(old.packs) != Set(pool.packs) { details.append("packs: \(Self.describe(old.packs)) → \(Self.describe(pool.packs))") }
            if !details.isEmpty { changes.append(Change(action: .change, subject: "credit pool \(pool.key)", details: details)) }
        }
        for pool in current.creditPools where !targetPools.contains(pool.key) {
            changes.append(Change(action: .remove, subject: "credit pool \(pool.key)", details: []))
        }

        let currentPlans = Dictionary(current.plans.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let targetPlans = Set(target.plans.map(\.key))
        for plan in target.plans {
            guard let old = currentPlans[plan.key] else {
                changes.append(Change(action: .add, subject: "plan \(plan.key)", details: []))
                continue
            }
            let details = Self.details(old, plan)
            if !details.isEmpty { changes.append(Change(action: .change, subject: "plan \(plan.key)", details: details)) }
        }
        for plan in current.plans where !targetPlans.contains(plan.key) && plan.status != .archived {
            changes.append(Change(action: .archive, subject: "plan \(plan.key)", details: ["status: \(plan.status.rawValue) → archived"]))
        }
        self.changes = changes
    }

    private static func details(_ old: Plan, _ new: Plan) -> [String] {
        var details: [String] = []
        if old.name != new.name { details.append("name: \"\(old.name)\" → \"\(new.name)\"") }
        if old.status != new.status { details.append("status: \(old.status.rawValue) → \(new.status.rawValue)") }
        if old.trialDays != new.trialDays { details.append("trial_days: \(old.trialDays) → \(new.trialDays)") }
        if old.isDefault != new.isDefault { details.append("is_default: \(old.isDefault) → \(new.isDefault)") }
        if Set(old.prices) != Set(new.prices) {
            details.append("prices: \(describe(old.prices)) → \(describe(new.prices))")
        }
        for key in Set(old.entitlements.keys).union(new.entitlements.keys).union(old.perUnit.keys).union(new.perUnit.keys).sorted() {
            let before = describe(old.entitlements[key], old.perUnit[key])
            let after = describe(new.entitlements[key], new.perUnit[key])
            if before != after { details.append("entitlements.\(key): \(before) → \(after)") }
        }
        for pool in Set(old.credits.keys).union(new.credits.keys).sorted() where old.credits[pool] != new.credits[pool] {
            details.append("credits.\(pool): \(describe(old.credits[pool])) → \(describe(new.credits[pool]))")
        }
        for feature in Set(old.meteredPrices.keys).union(new.meteredPrices.keys).sorted(by: { $0.rawValue < $1.rawValue })
        where old.meteredPrices[feature] != new.meteredPrices[feature] {
            details.append("metered_prices.\(feature): \(describe(old.meteredPrices[feature])) → \(describe(new.meteredPrices[feature]))")
        }
        if old.seatBilling != new.seatBilling {
            details.append("seat_billing: \(describe(old.seatBilling)) → \(describe(new.seatBilling))")
        }
        if Set(old.rateLimits) != Set(new.rateLimits) {
            details.append("rate_limits: \(describe(old.rateLimits)) → \(describe(new.rateLimits))")
        }
        return details
    }

    /// A plan's entitlement of one feature: its fixed value, or its per-unit limit.
    private static func describe(_ value: EntitlementValue?, _ perUnit: PerUnitEntitlement?) -> String {
        guard let perUnit else { return describe(value) }
        return perUnit.description
    }

    private static func describe(_ value: EntitlementValue?) -> String {
        switch value {
        case nil: "none"
        case .enabled?: "true"
        case .limit(let number)?: String(number)
        case .unlimited?: "unlimited"
        }
    }

    private static func describe(_ billing: SeatBilling?) -> String {
        billing.map { "quantity follows \($0.feature)" + ($0.prorationBehavior.map { " (\($0))" } ?? "") } ?? "none"
    }

    private static func describe(_ price: FeatureCredits?) -> String {
        price.map { "\($0.cost) \($0.pool) per unit" } ?? "none"
    }

    private static func describe(_ price: MeteredPrice?) -> String {
        price.map { "\($0.unitAmountDecimal) \($0.currency) per unit" } ?? "none"
    }

    private static func describe(_ allowance: PlanCredits?) -> String {
        allowance.map { "\($0.perPeriod) per period" + ($0.rolloverCap.map { ", rollover up to \($0)" } ?? "") } ?? "none"
    }

    private static func describe(_ packs: [CreditPack]) -> String {
        packs.isEmpty ? "none" : packs.map { "\($0.key): \($0.credits) for \(MoneyFormat.text($0.unitAmount, currency: $0.currency))" }.sorted().joined(separator: ", ")
    }

    private static func describe(_ alerts: [Int]?) -> String {
        alerts.map { $0.isEmpty ? "none" : $0.map { "\($0)%" }.joined(separator: ", ") } ?? "default"
    }

    private static func describe(_ prices: [Price]) -> String {
        prices.isEmpty ? "none" : prices.map { MoneyFormat.recurring($0.unitAmount, currency: $0.currency, per: $0.interval.rawValue) }.sorted().joined(separator: ", ")
    }

    private static func describe(_ policies: [RateLimitPolicy]) -> String {
        policies.isEmpty ? "none" : policies.map { "\($0.name) \($0.limit)/\($0.windowSeconds)s burst \($0.burst)" }.sorted().joined(separator: ", ")
    }
}
