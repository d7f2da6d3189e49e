package import Foundation
package import Tollgate
import TollgateCrypto
package import TollgateStore

/// Effective entitlements, checks and metered usage for customers: reads the store and asks the
/// library's ``Evaluator`` — the same evaluator the client library runs locally.
package final class EntitlementService: Sendable {
    private let database: any Database
    private let catalogCache: CatalogCache
    /// Live snapshots (nil: always read the store).
    package let cache: SnapshotCache?
    package let policy: AccessPolicy

    package init(
        database: any Database, policy: AccessPolicy = AccessPolicy(), catalogCache: CatalogCache = CatalogCache(), cache: SnapshotCache? = nil
    ) {
        self.database = database
        self.policy = policy
        self.catalogCache = catalogCache
        self.cache = cache
    }

    /// The customer's effective entitlements for every feature, now (possibly from the cache) or at
    /// the instant `now` (always computed).
    package func snapshot(customer externalID: String, now: Date? = nil) throws -> EntitlementSnapshot {
        if now == nil, let cached = cache?.get(externalID) { return cached }
        let generation = cache?.generation
        let (snapshot, nextChange) = try database.withConnection { connection in
            let (_, input) = try inputs(externalID: externalID, on: connection, now: now ?? Date())
            return (Evaluator.snapshot(customer: externalID, input: input), input.nextChange)
        }
        if now == nil, let generation { cache?.put(externalID, snapshot, generation: generation, notAfter: nextChange) }
        return snapshot
    }

    /// Forgets the customer's cached snapshot after a change to what they may do.
    package func invalidate(customer externalID: String) {
        cache?.invalidate(externalID)
    }

    /// Whether the customer may use `quantity` of `feature` now (nothing is recorded).
    package func check(customer externalID: String, feature: FeatureKey, quantity: Int64 = 1, now: Date? = nil) throws -> CheckResult {
        let snapshot = try snapshot(customer: externalID, now: now)
        guard snapshot.entitlements[feature] != nil else { throw DomainError.unknownFeature(feature.rawValue) }
        return snapshot.check(feature, quantity: quantity)
    }

    /// Counts usage whatever the quota (usage is a fact); a repeated idempotency key counts nothing.
    package func record(_ request: UsageRequest, now: Date = Date()) throws -> UsageOutcome {
        try meter(request, enforceQuota: false, now: now)
    }

    /// Checks and counts in one step: the quantity is counted only if it fits the quota, and
    /// concurrent consumers can never overspend (one conditional UPDATE decides).
    package func consume(_ request: UsageRequest, now: Date = Date()) throws -> UsageOutcome {
        try meter(request, enforceQuota: true, now: now)
    }

    private func meter(_ request: UsageRequest, enforceQuota: Bool, now: Date) throws -> UsageOutcome {
        try request.validate()
        defer { invalidate(customer: request.customer) }
        return try meterOnce(request, enforceQuota: enforceQuota, now: now)
    }

    /// One transaction. With an idempotency key, the key is claimed first — the usage event is
    /// inserted before anything is decided — so a concurrent repeat waits on that row (PostgreSQL's
    /// unique index; SQLite's write lock) until the first call commits, and then finds it: a repeat
    /// always gets the first call's answer, never a decision of its own. A call that counts nothing
    /// (denied) removes its claim in the same transaction, so a repeat of it is decided afresh.
    private func meterOnce(_ request: UsageRequest, enforceQuota: Bool, now: Date) throws -> UsageOutcome {
        try database.transaction { connection in
            let (customerID, input) = try inputs(externalID: request.customer, on: connection, now: now)
            guard let feature = input.features.first(where: { $0.key == request.feature }) else {
                throw DomainError.unknownFeature(request.feature.rawValue)
            }
            guard feature.kind == .metered, let reset = feature.reset else {
                throw DomainError.invalid("feature", "\(feature.key) is a \(feature.kind.rawValue) feature; only metered features count usage")
            }
            let entitlement = Evaluator.evaluate(input)[feature.key]
            let window = UsageWindow.current(for: reset, subscription: input.subscription, at: now)
            var outcome = UsageOutcome(
                allowed: true, reason: nil, duplicate: false, feature: feature.key, quantity: request.quantity,
                used: input.usage[feature.key] ?? 0, remaining: entitlement?.remaining, resetsAt: window.end)

            let eventID = try "use_" + SecureRandom.token(20)
            if request.idempotencyKey != nil {
                let claimed = try connection.queryFirst("""
                    INSERT INTO usage_events (id, customer_id, feature_key, quantity, window_start, idempotency_key, recorded_at)
                    VALUES (\(eventID), \(customerID), \(feature.key.rawValue), \(request.quantity), \(window.start),
                        \(request.idempotencyKey), \(now))
                    ON CONFLICT (customer_id, feature_key, idempotency_key) DO NOTHING
                    RETURNING id
                    """)
                if claimed == nil {
                    // A repeat: the first call counted it, so the answer is "allowed", with the
                    // usage read again (the inputs above may predate the first call's commit).
                    outcome.duplicate = true
                    outcome.used = try Self.used(customerID: customerID, feature: feature.key, window: window, on: connection)
                    outcome.remaining = Self.quota(of: entitlement).map { max(0, $0 - outcome.used) }
                    return outcome
                }
            }

            var quota: Int64?
            if enforceQuota {
                switch entitlement?.value {
                case nil, .enabled?:
                    try Self.unclaim(eventID, of: request, on: connection)
                    outcome.allowed = false
                    outcome.reason = entitlement?.denial ?? .featureNotInPlan
                    return outcome
                case .limit(let number)?: quota = number
                case .unlimited?: quota = nil
                }
            }

            try connection.execute("""
                INSERT INTO usage_counters (customer_id, feature_key, window_start, used)
                VALUES (\(customerID), \(feature.key.rawValue), \(window.start), 0)
                ON CONFLICT (customer_id, feature_key, window_start) DO NOTHING
                """)
            let updated: Row?
            if let quota {
                updated = try connection.queryFirst("""
                    UPDATE usage_counters SET used = used + \(request.quantity)
                    WHERE customer_id = \(customerID) AND feature_key = \(feature.key.rawValue) AND window_start = \(window.start)
                        AND used <= \(quota - request.quantity)
                    RETURNING used
                    """)
            } else {
                updated = try connection.queryFirst("""
                    UPDATE usage_counters SET used = used + \(request.quantity)
                    WHERE customer_id = \(customerID) AND feature_key = \(feature.key.rawValue) AND window_start = \(window.start)
                    RETURNING used
                    """)
            }
            guard let used: Int64 = try updated?.get("used") else {
                try Self.unclaim(eventID, of: request, on: connection)
                outcome.allowed = false
                outcome.reason = .limitExceeded
                // The usage that refused it (a concurrent consumer may have committed since the inputs were read).
                outcome.used = try Self.used(customerID: customerID, feature: feature.key, window: window, on: connection)
                outcome.remaining = quota.map { max(0, $0 - outcome.used) }
                return outcome
            }
            if request.idempotencyKey == nil {
                try connection.execute("""
                    INSERT INTO usage_events (id, customer_id, feature_key, quantity, window_start, idempotency_key, recorded_at)
                    VALUES (\(eventID), \(customerID), \(feature.key.rawValue), \(request.quantity), \(window.start), NULL, \(now))
                    """)
            }
            outcome.used = used
            outcome.remaining = Self.quota(of: entitlement).map { max(0, $0 - used) }
            return outcome
        }
    }

    /// The usage counted in `window`, as committed now.
    private static func used(customerID: String, feature: FeatureKey, window: UsageWindow, on connection: any SQLConnection) throws -> Int64 {
        try connection.queryFirst("""
            SELECT used FROM usage_counters
            WHERE customer_id = \(customerID) AND feature_key = \(feature.rawValue) AND window_start = \(window.start)
            """)?.get("used") ?? 0
    }

    /// Removes the usage event claimed for a call that counted nothing (a keyless call claimed none).
    private static func unclaim(_ eventID: String, of request: UsageRequest, on connection: any SQLConnection) throws {
        guard request.idempotencyKey != nil else { return }
        try connection.execute("DELETE FROM usage_events WHERE id = \(eventID)")
    }

    private static func quota(of entitlement: FeatureEntitlement?) -> Int64? {
        if case .limit(let number)? = entitlement?.value { return number }
        return nil
    }

    /// Everything the evaluator needs for one customer, read through one connection.
    private func inputs(externalID: String, on connection: any SQLConnection, now: Date) throws -> (customerID: String, input: EvaluationInput) {
        guard let customer = try CustomerRepository.find(externalID: externalID, on: connection) else {
            throw DomainError.unknownCustomer(externalID)
        }
        let catalog = try catalogCache.catalog(on: connection)
        let subscription = try SubscriptionRepository.current(externalID: externalID, on: connection)?.state
        let grants = try GrantRepository.grants(customerID: customer.id, on: connection)
        var usage: [FeatureKey: Int64] = [:]
        for feature in catalog.features where feature.kind == .metered {
            guard let reset = feature.reset else { continue }
            let window = UsageWindow.current(for: reset, subscription: subscription, at: now)
            let used: Int64? = try connection.queryFirst("""
                SELECT used FROM usage_counters
                WHERE customer_id = \(customer.id) AND feature_key = \(feature.key.rawValue) AND window_start = \(window.start)
                """)?.get("used")
            usage[feature.key] = used ?? 0
        }
        let input = EvaluationInput(
            features: catalog.features, plan: subscription.flatMap { catalog.plan($0.planKey) }, defaultPlan: catalog.defaultPlan,
            subscription: subscription, grants: grants, usage: usage, now: now, policy: policy)
        return (customer.id, input)
    }
}
