package import Foundation
package import Tollgate
package import TollgateStore
import TollgateEvents
import TollgateWire

/// The catalog in the store: read whole, written whole (one transaction per apply).
package struct CatalogRepository: Sendable {
    let database: any Database
    /// Called after an apply changed the catalog (the snapshot cache listens).
    let didChange: @Sendable () -> Void

    package init(database: any Database, didChange: @escaping @Sendable () -> Void = {}) {
        self.database = database
        self.didChange = didChange
    }

    /// The stored catalog, features and plans ordered by key.
    package func load() throws -> Catalog {
        try database.withConnection { connection in try Self.load(on: connection) }
    }

    /// The revision, bumped by every apply that changed something.
    package func revision() throws -> Int64 {
        try database.withConnection { connection in try Self.revision(on: connection) }
    }

    static func revision(on connection: any SQLConnection) throws -> Int64 {
        try connection.queryFirst("SELECT revision FROM catalog_revision WHERE id = 1")?.get("revision") ?? 0
    }

    /// Makes the stored catalog equal `target` (plans missing from it are archived) and returns
    /// what changed. With `dryRun` nothing is written. A catalog that cannot be applied throws
    /// ``CatalogError`` and changes nothing. With `expectedRevision` (the revision the caller's
    /// preview was computed at, e.g. the console's), a catalog changed since is a conflict and
    /// nothing is written.
    package func apply(_ target: Catalog, dryRun: Bool = false, expectedRevision: Int64? = nil, now: Date = Date()) throws -> CatalogDiff {
        let problems = target.problems()
        guard problems.isEmpty else { throw CatalogError(problems) }
        let diff = try database.transaction { connection in
            if let expectedRevision {
                // Takes the revision row's write lock first (PostgreSQL), so a concurrent apply waits
                // for this one and then finds the revision changed.
                try connection.execute("UPDATE catalog_revision SET revision = revision WHERE id = 1")
                let revision = try Self.revision(on: connection)
                guard revision == expectedRevision else {
                    throw DomainError.catalogChanged(previewed: expectedRevision, now: revision)
                }
            }
            let current = try Self.load(on: connection)
            let diff = CatalogDiff(from: current, to: target)
            try Self.checkRemovals(current: current, target: target)
            guard !dryRun, !diff.isEmpty else { return diff }
            try Self.write(target, over: current, on: connection, now: now)
            try EventLog.append(.catalogUpdated, customer: nil, data: try DomainEvents.encode(diff), on: connection, now: now)
            try EntitlementAnnouncements.markAllDue(on: connection, now: now)
            return diff
        }
        if !dryRun, !diff.isEmpty { didChange() }
        return diff
    }

    /// A feature may go only when no plan that stays in the store (archived ones included) uses it.
    private static func checkRemovals(current: Catalog, target: Catalog) throws {
        let kept = Set(target.features.map(\.key))
        let targetPlans = Set(target.plans.map(\.key))
        var problems: [CatalogError.Problem] = []
        for feature in current.features where !kept.contains(feature.key) {
            for plan in current.plans where !targetPlans.contains(plan.key) && plan.includes(feature.key) {
                problems.append(.init(
                    place: "features",
                    message: "feature \"\(feature.key)\" is removed but plan \"\(plan.key)\" (archived, not in the file) still uses it; "
                        + "keep the feature, or list that plan with status archived and without it"))
            }
        }
        guard problems.isEmpty else { throw CatalogError(problems) }
    }

    private static func write(_ target: Catalog, over current: Catalog, on connection: any SQLConnection, now: Date) throws {
        for feature in target.features {
            try connection.execute("""
                INSERT INTO features (key, name, kind, reset, alerts, credits, updated_at)
                VALUES (\(feature.key.rawValue), \(feature.name), \(feature.kind.rawValue), \(feature.reset?.rawValue),
                    \(try feature.alerts.map(StoredValue.alerts)), \(try feature.credits.map(StoredValue.json)), \(now))
                ON CONFLICT (key) DO UPDATE SET name = excluded.name, kind = excluded.kind, reset = excluded.reset, alerts = excluded.alerts,
                    credits = excluded.credits, updated_at = excluded.updated_at
                """)
        }
        for plan in target.plans {
            try connection.execute("""
                INSERT INTO plans (key, name, status, trial_days, is_default, credits, metered_prices, seat_billing, updated_at)
                VALUES (\(plan.key), \(plan.name), \(plan.status.rawValue), \(plan.trialDays), \(plan.isDefault),
                    \(plan.credits.isEmpty ? nil : try StoredValue.json(plan.credits)), \(try StoredValue.meteredPrices(plan.meteredPrices)),
                    \(try plan.seatBilling.map(StoredValue.json)), \(now))
                ON CONFLICT (key) DO UPDATE SET name = excluded.name, status = excluded.status, trial_days = excluded.trial_days,
                    is_default = excluded.is_default, credits = excluded.credits, metered_prices = excluded.metered_prices,
                    seat_billing = excluded.seat_billing, updated_at = excluded.updated_at
                """)
            try connection.execute("DELETE FROM plan_prices WHERE plan_key = \(plan.key)")
            try connection.execute("DELETE FROM plan_entitlements WHERE plan_key = \(plan.key)")
            try connection.execute("DELETE FROM plan_rate_limits WHERE plan_key = \(plan.key)")
            for price in plan.prices {
                try connection.execute("""
                    INSERT INTO plan_prices (plan_key, interval, currency, unit_amount)
                    VALUES (\(plan.key), \(price.interval.rawValue), \(price.currency), \(price.unitAmount))
                    """)
            }
            for (feature, value) in plan.entitlements {
                try connection.execute("""
                    INSERT INTO plan_entitlements (plan_key, feature_key, value) VALUES (\(plan.key), \(feature.rawValue), \(StoredValue.text(value)))
                    """)
            }
            for (feature, rule) in plan.perUnit {
                try connection.execute("""
                    INSERT INTO plan_entitlements (plan_key, feature_key, value, per_unit)
                    VALUES (\(plan.key), \(feature.rawValue), 'per_unit', \(try StoredValue.json(rule)))
                    """)
            }
            for policy in plan.rateLimits {
                try connection.execute("""
                    INSERT INTO plan_rate_limits (plan_key, name, "limit", window_seconds, burst)
                    VALUES (\(plan.key), \(policy.name), \(policy.limit), \(policy.windowSeconds), \(policy.burst))
                    """)
            }
        }
        // Pools are replaced whole; a customer's blocks and ledger name a pool by key and outlive it.
        try connection.execute("DELETE FROM credit_pools")
        for pool in target.creditPools {
            try connection.execute("""
                INSERT INTO credit_pools (key, name, overage_floor, low_balance, packs, updated_at)
                VALUES (\(pool.key), \(pool.name), \(pool.overageFloor), \(pool.lowBalance), \(try StoredValue.json(pool.packs)), \(now))
                """)
        }
        let targetPlans = Set(target.plans.map(\.key))
        for plan in current.plans where !targetPlans.contains(plan.key) {
            try connection.execute("UPDATE plans SET status = 'archived', is_default = \(false), updated_at = \(now) WHERE key = \(plan.key)")
        }
        let targetFeatures = Set(target.features.map(\.key))
        for feature in current.features where !targetFeatures.contains(feature.key) {
            try connection.execute("DELETE FROM features WHERE key = \(feature.key.rawValue)")
        }
        try connection.execute("""
            UPDATE catalog_revision SET revision = revision + 1, default_alerts = \(try target.defaultAlerts.map(StoredValue.alerts)) WHERE id = 1
            """)
    }

    /// Whether the catalog has a plan `key` (any status).
    package static func hasPlan(_ key: String, on connection: any SQLConnection) throws -> Bool {
        try connection.queryFirst("SELECT key FROM plans WHERE key = \(key)") != nil
    }

    /// The plan's name and its first price (by interval, then currency), for mails.
    package static func planSummary(_ key: String, on connection: any SQLConnection) throws -> (name: String?, price: Price?) {
        let name: String? = try connection.queryFirst("SELECT name FROM plans WHERE key = \(key)")?.get("name")
        let price = try connection.queryFirst("""
            SELECT interval, currency, unit_amount FROM plan_prices WHERE plan_key = \(key) ORDER BY interval, currency LIMIT 1
            """).map { row in
            Price(interval: try StoredValue.decode(BillingInterval.self, try row.get("interval")), currency: try row.get("currency"), unitAmount: try row.get("unit_amount"))
        }
        return (name, price)
    }

    static func load(on connection: any SQLConnection) throws -> Catalog {
        let features = try connection.query("SELECT key, name, kind, reset, alerts, credits FROM features ORDER BY key").map { row -> Feature in
            let kind: String = try row.get("kind")
            let reset: String? = try row.get("reset")
            let alerts: String? = try row.get("alerts")
            let credits: String? = try row.get("credits")
            return Feature(
                key: try StoredValue.featureKey(try row.get("key")), name: try row.get("name"),
                kind: try StoredValue.decode(FeatureKind.self, kind), reset: try reset.map { try StoredValue.decode(ResetPeriod.self, $0) },
                alerts: try alerts.map(StoredValue.alerts), credits: try credits.map { try StoredValue.json(FeatureCredits.self, $0) })
        }
        let pools = try connection.query("SELECT key, name, overage_floor, low_balance, packs FROM credit_pools ORDER BY key").map { row in
            CreditPool(
                key: try row.get("key"), name: try row.get("name"), overageFloor: try row.get("overage_floor"),
                packs: try StoredValue.json([CreditPack].self, try row.get("packs")), lowBalance: try row.get("low_balance"))
        }
        let defaultAlerts: String? = try connection.queryFirst("SELECT default_alerts FROM catalog_revision WHERE id = 1")?.get("default_alerts")
        var plans: [String: Plan] = [:]
        var order: [String] = []
        for row in try connection.query("SELECT key, name, status, trial_days, is_default, credits, metered_prices, seat_billing FROM plans ORDER BY key") {
            let key: String = try row.get("key")
            let credits: String? = try row.get("credits")
            let meteredPrices: String? = try row.get("metered_prices")
            let seatBilling: String? = try row.get("seat_billing")
            order.append(key)
            plans[key] = Plan(
                key: key, name: try row.get("name"), status: try StoredValue.decode(PlanStatus.self, try row.get("status")),
                trialDays: try row.get("trial_days"), isDefault: try row.get("is_default"),
                credits: try credits.map { try StoredValue.json([String: PlanCredits].self, $0) } ?? [:],
                meteredPrices: try meteredPrices.map(StoredValue.meteredPrices) ?? [:],
                seatBilling: try seatBilling.map { try StoredValue.json(SeatBilling.self, $0) })
        }
        for row in try connection.query("SELECT plan_key, interval, currency, unit_amount FROM plan_prices ORDER BY plan_key, interval, currency") {
            let price = Price(
                interval: try StoredValue.decode(BillingInterval.self, try row.get("interval")),
                currency: try row.get("currency"), unitAmount: try row.get("unit_amount"))
            plans[try row.get("plan_key")]?.prices.append(price)
        }
        for row in try connection.query("SELECT plan_key, feature_key, value, per_unit FROM plan_entitlements") {
            let feature = try StoredValue.featureKey(try row.get("feature_key"))
            let perUnit: String? = try row.get("per_unit")
            if let perUnit {
                plans[try row.get("plan_key")]?.perUnit[feature] = try StoredValue.json(PerUnitEntitlement.self, perUnit)
            } else {
                plans[try row.get("plan_key")]?.entitlements[feature] = try StoredValue.value(try row.get("value"))
            }
        }
        for row in try connection.query(#"SELECT plan_key, name, "limit", window_seconds, burst FROM plan_rate_limits ORDER BY plan_key, name"#) {
            let policy = RateLimitPolicy(
                name: try row.get("name"), limit: try row.get("limit"), windowSeconds: try row.get("window_seconds"), burst: try row.get("burst"))
            plans[try row.get("plan_key")]?.rateLimits.append(policy)
        }
        return Catalog(
            features: features, plans: order.compactMap { plans[$0] }, defaultAlerts: try defaultAlerts.map(StoredValue.alerts), creditPools: pools)
    }
}

/// How domain values are spelled in the store's text columns: one place.
package enum StoredValue {
    static func text(_ value: EntitlementValue) -> String {
        switch value {
        case .enabled: "true"
        case .unlimited: "unlimited"
        case .limit(let number): String(number)
        }
    }

    static func value(_ text: String) throws -> EntitlementValue {
        switch text {
        case "true": return .enabled
        case "unlimited": return .unlimited
        default:
            guard let number = Int64(text) else { throw StoreError(.decoding, "bad entitlement value in the store") }
            return .limit(number)
        }
    }

    /// Usage alerts: a JSON array of percentages (`[50,80,100]`).
    static func alerts(_ alerts: [Int]) throws -> String {
        String(decoding: try JSONEncoder().encode(alerts), as: UTF8.self)
    }

    static func alerts(_ text: String) throws -> [Int] {
        guard let alerts = try? JSONDecoder().decode([Int].self, from: Data(text.utf8)) else {
            throw StoreError(.decoding, "bad usage alerts in the store")
        }
        return alerts
    }

    /// A JSON column (a feature's price in credits, a plan's allowances, a pool's packs): `WireJSON`.
    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try WireJSON.encoder().encode(value), as: UTF8.self)
    }

    static func json<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        guard let value = try? WireJSON.decoder().decode(T.self, from: Data(text.utf8)) else {
            throw StoreError(.decoding, "bad \(T.self) in the store")
        }
        return value
    }

    /// One metered price as stored: a JSON array of these (an array, so no key strategy ever
    /// touches a feature key).
    private struct StoredMeteredPrice: Codable {
        var feature: String
        var price: MeteredPrice
    }

    /// A plan's metered prices (nil when it has none).
    static func meteredPrices(_ prices: [FeatureKey: MeteredPrice]) throws -> String? {
        prices.isEmpty ? nil : try json(prices.map { StoredMeteredPrice(feature: $0.key.rawValue, price: $0.value) }.sorted { $0.feature < $1.feature })
    }

    static func meteredPrices(_ text: String) throws -> [FeatureKey: MeteredPrice] {
        var prices: [FeatureKey: MeteredPrice] = [:]
        for stored in try json([StoredMeteredPrice].self, text) { prices[try featureKey(stored.feature)] = stored.price }
        return prices
    }

    static func featureKey(_ text: String) throws -> FeatureKey {
        guard let key = FeatureKey(validating: text) else { throw StoreError(.decoding, "bad feature key in the store") }
        return key
    }

    package static func decode<T: RawRepresentable>(_ type: T.Type, _ text: String) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: text) else { throw StoreError(.decoding, "bad \(T.self) in the store") }
        return value
    }
}
