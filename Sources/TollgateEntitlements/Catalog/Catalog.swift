package import Foundation
package import Tollgate
import TollgateWire

/// The whole catalog: every feature and every plan. Kept as one JSON file in the SaaS's repository
/// ("catalog as code") and applied with `tollgate plans apply FILE`; see `docs/catalog.md`.
package struct Catalog: Sendable, Equatable, Codable {
    package var features: [Feature]
    package var plans: [Plan]
    /// The usage alerts of a metered feature that names none (percent of the allowance).
    package var defaultAlerts: [Int]?
    /// The credit pools (docs/credits.md).
    package var creditPools: [CreditPool]

    package init(features: [Feature] = [], plans: [Plan] = [], defaultAlerts: [Int]? = nil, creditPools: [CreditPool] = []) {
        self.features = features
        self.plans = plans
        self.defaultAlerts = defaultAlerts
        self.creditPools = creditPools
    }

    enum CodingKeys: String, CodingKey { case features, plans, defaultAlerts, creditPools }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        features = try container.decode([Feature].self, forKey: .features)
        plans = try container.decode([Plan].self, forKey: .plans)
        defaultAlerts = try container.decodeIfPresent([Int].self, forKey: .defaultAlerts)
        creditPools = try container.decodeIfPresent([CreditPool].self, forKey: .creditPools) ?? []
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(features, forKey: .features)
        try container.encode(plans, forKey: .plans)
        try container.encodeIfPresent(defaultAlerts, forKey: .defaultAlerts)
        if !creditPools.isEmpty { try container.encode(creditPools, forKey: .creditPools) }
    }

    package func creditPool(_ key: String) -> CreditPool? { creditPools.first { $0.key == key } }

    /// The usage alerts of `feature`: its own, else the catalog's default, ascending.
    package func alerts(for feature: Feature) -> [Int] {
        guard feature.kind == .metered else { return [] }
        return (feature.alerts ?? defaultAlerts ?? []).sorted()
    }

    /// The percentages an alert list may hold, and how many.
    static let alertRange = 1...1000
    static let maximumAlerts = 10
    /// The largest amount of credits anything in the catalog names (a pack, a price, an allowance):
    /// far from `Int64`'s range, so sums of them never overflow.
    package static let maximumCredits: Int64 = 1_000_000_000_000

    /// Stripe's `proration_behavior` values a plan's `seat_billing` may name (TollgateBilling's
    /// `ProrationBehavior`, which sends them; a test holds the two to the same set).
    package static let prorationBehaviors: Set<String> = ["create_prorations", "none", "always_invoice"]

    /// The largest `per_unit` and `base` of a per-unit limit.
    static let maximumPerUnit: Int64 = 1_000_000

    package var defaultPlan: Plan? { plans.first { $0.isDefault && $0.status == .active } }

    package func plan(_ key: String) -> Plan? { plans.first { $0.key == key } }

    package func feature(_ key: FeatureKey) -> Feature? { features.first { $0.key == key } }

    /// The metered features that some plan (draft plans left out) bills per unit through Stripe,
    /// by key (docs/usage-billing.md): the features whose usage is exported as meter events.
    package var billedFeatures: [Feature] {
        let billed = Set(plans.filter { $0.status != .draft }.flatMap(\.meteredPrices.keys))
        return features.filter { $0.kind == .metered && billed.contains($0.key) }
    }

    /// Parses a catalog file. Structural errors (bad JSON, a wrong type, an invalid feature key)
    /// and rule violations are both reported as ``CatalogError`` problems naming the place.
    package static func parse(_ data: Data) throws(CatalogError) -> Catalog {
        let catalog: Catalog
        do {
            catalog = try WireJSON.decoder().decode(Catalog.self, from: data)
        } catch let error as DecodingError {
            throw CatalogError([CatalogError.Problem(decoding: error)])
        } catch {
            throw CatalogError([.init(place: "catalog", message: "not a valid JSON document")])
        }
        let problems = catalog.problems()
        guard problems.isEmpty else { throw CatalogError(problems) }
        return catalog
    }

    /// The file form: the wire's JSON, pretty-printed.
    package func encoded() throws -> Data {
        try WireJSON.encoder(pretty: true).encode(self)
    }

    /// Every rule the catalog breaks, each naming its place (`plans[1].entitlements.seats`).
    package func problems() -> [CatalogError.Problem] {
        var problems: [CatalogError.Problem] = []
        func problem(_ place: String, _ message: String) { problems.append(.init(place: place, message: message)) }

        var featureKinds: [FeatureKey: FeatureKind] = [:]
        for (index, feature) in features.enumerated() {
            let place = "features[\(index)]"
            if featureKinds[feature.key] != nil { problem("\(place).key", "duplicate feature key \"\(feature.key)\"") }
            featureKinds[feature.key] = feature.kind
            if feature.name.trimmingCharacters(in: .whitespaces).isEmpty { problem("\(place).name", "must not be empty") }
            if let alerts = feature.alerts {
                if feature.kind != .metered { problem("\(place).alerts", "only metered features have usage alerts") }
                problems += Self.alertProblems(alerts, place: "\(place).alerts")
            }
            switch (feature.kind, feature.reset) {
            case (.metered, nil): problem("\(place).reset", "a metered feature needs a reset period (day, month, billing_period or never)")
            case (.boolean, .some), (.limit, .some): problem("\(place).reset", "only metered features reset")
            default: break
            }
        }

        if let defaultAlerts { problems += Self.alertProblems(defaultAlerts, place: "default_alerts") }

        var poolKeys: Set<String> = []
        for (index, pool) in creditPools.enumerated() {
            let place = "credit_pools[\(index)]"
            if !poolKeys.insert(pool.key).inserted { problem("\(place).key", "duplicate pool key \"\(pool.key)\"") }
            if !Self.isValidPlanKey(pool.key) { problem("\(place).key", "must be 1 to 64 characters of a-z, 0-9, _ and -") }
            if pool.name.trimmingCharacters(in: .whitespaces).isEmpty { problem("\(place).name", "must not be empty") }
            if pool.overageFloor > 0 || pool.overageFloor < -Self.maximumCredits {
                problem("\(place).overage_floor", "must be from -\(Self.maximumCredits) to 0 (0 stops at an empty balance)")
            }
            if let low = pool.lowBalance, !(1...Self.maximumCredits).contains(low) {
                problem("\(place).low_balance", "must be from 1 to \(Self.maximumCredits)")
            }
            var packKeys: Set<String> = []
            for (packIndex, pack) in pool.packs.enumerated() {
                let packPlace = "\(place).packs[\(packIndex)]"
                if !packKeys.insert(pack.key).inserted || !Self.isValidPlanKey(pack.key) { problem("\(packPlace).key", "must be unique in the pool, 1 to 64 characters of a-z, 0-9, _ and -") }
                if !(1...Self.maximumCredits).contains(pack.credits) { problem("\(packPlace).credits", "must be from 1 to \(Self.maximumCredits)") }
                if pack.unitAmount < 1 { problem("\(packPlace).unit_amount", "must be positive") }
                if pack.currency.count != 3 || !pack.currency.allSatisfy({ $0.isASCII && $0.isLowercase }) {
                    problem("\(packPlace).currency", "must be a lowercase ISO 4217 code such as \"usd\"")
                }
                if let days = pack.expiresAfterDays, !(1...3650).contains(days) { problem("\(packPlace).expires_after_days", "must be from 1 to 3650") }
            }
        }
        for (index, feature) in features.enumerated() {
            guard let price = feature.credits else { continue }
            let place = "features[\(index)].credits"
            if feature.kind != .metered { problem(place, "only metered features are priced in credits") }
            if !poolKeys.contains(price.pool) { problem("\(place).pool", "unknown pool \"\(price.pool)\" (declare it under credit_pools)") }
            if !(1...Self.maximumCredits).contains(price.cost) { problem("\(place).cost", "must be from 1 to \(Self.maximumCredits)") }
        }

        var planKeys: Set<String> = []
        var defaults: [String] = []
        for (index, plan) in plans.enumerated() {
            let place = "plans[\(index)]"
            if !planKeys.insert(plan.key).inserted { problem("\(place).key", "duplicate plan key \"\(plan.key)\"") }
            if !Self.isValidPlanKey(plan.key) { problem("\(place).key", "must be 1 to 64 characters of a-z, 0-9, _ and -") }
            if plan.name.trimmingCharacters(in: .whitespaces).isEmpty { problem("\(place).name", "must not be empty") }
            if plan.trialDays < 0 || plan.trialDays > 730 { problem("\(place).trial_days", "must be from 0 to 730") }
            if plan.isDefault {
                defaults.append(plan.key)
                if defaults.count > 1 { problem("\(place).is_default", "a second default plan (\"\(defaults[0])\" is already the default)") }
                if plan.status != .active { problem("\(place).is_default", "the default plan must be active") }
            }
            var priceKeys: Set<String> = []
            for (priceIndex, price) in plan.prices.enumerated() {
                let pricePlace = "\(place).prices[\(priceIndex)]"
                if price.unitAmount < 0 { problem("\(pricePlace).unit_amount", "must not be negative") }
                if price.currency.count != 3 || !price.currency.allSatisfy({ $0.isASCII && $0.isLowercase }) {
                    problem("\(pricePlace).currency", "must be a lowercase ISO 4217 code such as \"usd\"")
                }
                if !priceKeys.insert("\(price.interval.rawValue)/\(price.currency)").inserted {
                    problem(pricePlace, "a second \(price.interval.rawValue)ly price in \(price.currency)")
                }
            }
            for (key, value) in plan.entitlements.sorted(by: { $0.key < $1.key }) {
                let entitlementPlace = "\(place).entitlements.\(key)"
                guard let kind = featureKinds[key] else {
                    problem(entitlementPlace, "unknown feature \"\(key)\" (declare it under features)")
                    continue
                }
                switch (kind, value) {
                case (.boolean, .enabled), (.limit, .unlimited), (.metered, .unlimited): break
                case (.boolean, _): problem(entitlementPlace, "a boolean feature takes true")
                case (.limit, .limit(let number)), (.metered, .limit(let number)):
                    if number < 0 { problem(entitlementPlace, "must not be negative") }
                case (.limit, .enabled), (.metered, .enabled): problem(entitlementPlace, "a \(kind.rawValue) feature takes a number or \"unlimited\"")
                }
            }
            for (key, price) in plan.meteredPrices.sorted(by: { $0.key < $1.key }) {
                let pricePlace = "\(place).metered_prices.\(key)"
                guard let kind = featureKinds[key] else {
                    problem(pricePlace, "unknown feature \"\(key)\" (declare it under features)")
                    continue
                }
                if kind != .metered { problem(pricePlace, "only metered features are billed per unit") }
                if !price.hasValidAmount {
                    problem("\(pricePlace).unit_amount_decimal", "must be a decimal number of minor units with at most 12 decimal places, such as \"0.05\"")
                }
                if price.currency.count != 3 || !price.currency.allSatisfy({ $0.isASCII && $0.isLowercase }) {
                    problem("\(pricePlace).currency", "must be a lowercase ISO 4217 code such as \"usd\"")
                }
            }
            for (key, rule) in plan.perUnit.sorted(by: { $0.key < $1.key }) {
                let entitlementPlace = "\(place).entitlements.\(key)"
                guard let kind = featureKinds[key] else {
                    problem(entitlementPlace, "unknown feature \"\(key)\" (declare it under features)")
                    continue
                }
                if kind != .limit { problem(entitlementPlace, "only a limit feature takes a per-unit limit ({\"per_unit\": …})") }
                if plan.entitlements[key] != nil { problem(entitlementPlace, "a fixed value and a per-unit limit at once") }
                if !(1...Self.maximumPerUnit).contains(rule.perUnit) { problem("\(entitlementPlace).per_unit", "must be from 1 to \(Self.maximumPerUnit)") }
                if !(0...Self.maximumPerUnit).contains(rule.base) { problem("\(entitlementPlace).base", "must be from 0 to \(Self.maximumPerUnit)") }
                if let max = rule.max, max < rule.base { problem("\(entitlementPlace).max", "must be at least base (\(rule.base))") }
            }
            if let billing = plan.seatBilling {
                let billingPlace = "\(place).seat_billing"
                if featureKinds[billing.feature] != .limit { problem("\(billingPlace).feature", "must be a limit feature of the catalog") }
                if plan.perUnit[billing.feature] != nil {
                    problem("\(billingPlace).feature", "is a per-unit limit of this plan: its quantity would follow its own seats (give it a fixed limit or \"unlimited\")")
                }
                if let proration = billing.prorationBehavior, !Self.prorationBehaviors.contains(proration) {
                    problem("\(billingPlace).proration_behavior", "must be one of \(Self.prorationBehaviors.sorted().joined(separator: ", "))")
                }
            }
            for (pool, allowance) in plan.credits.sorted(by: { $0.key < $1.key }) {
                let creditPlace = "\(place).credits.\(pool)"
                if !poolKeys.contains(pool) { problem(creditPlace, "unknown pool \"\(pool)\" (declare it under credit_pools)") }
                if !(0...Self.maximumCredits).contains(allowance.perPeriod) { problem("\(creditPlace).per_period", "must be from 0 to \(Self.maximumCredits)") }
                if let cap = allowance.rolloverCap, !(0...Self.maximumCredits).contains(cap) {
                    problem("\(creditPlace).rollover_cap", "must be from 0 to \(Self.maximumCredits)")
                }
            }
            var policyNames: Set<String> = []
            for (policyIndex, policy) in plan.rateLimits.enumerated() {
                let policyPlace = "\(place).rate_limits[\(policyIndex)]"
                if policy.name.isEmpty || !policyNames.insert(policy.name).inserted { problem("\(policyPlace).name", "must be present and unique in the plan") }
                if policy.limit <= 0 { problem("\(policyPlace).limit", "must be positive") }
                if policy.windowSeconds <= 0 { problem("\(policyPlace).window_seconds", "must be positive") }
                if policy.burst <= 0 { problem("\(policyPlace).burst", "must be positive") }
            }
        }
        return problems
    }

    private static func alertProblems(_ alerts: [Int], place: String) -> [CatalogError.Problem] {
        var problems: [CatalogError.Problem] = []
        if alerts.count > maximumAlerts { problems.append(.init(place: place, message: "at most \(maximumAlerts) alerts")) }
        if alerts.contains(where: { !alertRange.contains($0) }) {
            problems.append(.init(place: place, message: "each alert is a percentage of the allowance from 1 to 1000"))
        }
        if Set(alerts).count != alerts.count { problems.append(.init(place: place, message: "an alert is listed twice")) }
        return problems
    }

    static func isValidPlanKey(_ key: String) -> Bool {
        !key.isEmpty && key.count <= 64 && key.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_" || $0 == "-") }
    }
}
