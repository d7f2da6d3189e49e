package import Foundation
package import TollgateStore

/// A customer's automatic top-up of one pool (`credit_top_ups`).
package struct CreditTopUpSettings: Sendable, Equatable, Codable {
    package var pool: String
    package var enabled: Bool
    /// Charge when the available credits fall below this.
    package var threshold: Int64
    /// The pack charged (the pool's `packs[].key`).
    package var pack: String
    /// Whether the next crossing below the threshold charges (false once charged, until the balance
    /// is seen at or above the threshold again).
    package var armed: Bool
    package var lastAttemptAt: Date?
    /// `pending`, `succeeded`, `processing`, `requires_action` or `failed`.
    package var lastStatus: String?
    package var lastError: String?
    package var lastPaymentIntent: String?
    package var updatedAt: Date
}

/// `PUT /v1/customers/{external_id}/credits/top-up`.
package struct CreditTopUpRequest: Sendable, Equatable, Codable {
    package var pool: String
    package var threshold: Int64
    package var pack: String
    package var enabled: Bool

    package init(pool: String, threshold: Int64, pack: String, enabled: Bool) {
        self.pool = pool
        self.threshold = threshold
        self.pack = pack
        self.enabled = enabled
    }
}

/// One armed top-up found below its threshold and disarmed: what the worker charges.
package struct CreditTopUpCharge: Sendable, Equatable {
    /// The customer's external id and store id.
    package var customer: String
    package var customerID: String
    package var stripeCustomerID: String?
    package var pool: String
    package var pack: CreditPack
    /// Which crossing below the threshold this is (1, 2, …): with the customer and pool, the
    /// charge's idempotency.
    package var crossing: Int64
}

/// Automatic top-up settings and the crossing rule (docs/credits.md, "Purchases and top-ups").
package struct CreditTopUps: Sendable {
    let database: any Database
    let catalogCache: CatalogCache

    package init(credits: CreditStore) {
        database = credits.database
        catalogCache = credits.catalogCache
    }

    /// Sets the customer's top-up of `pool`. A new setting starts armed; changing one keeps its
    /// armed state (so saving the same settings again never causes a second charge for one crossing).
    package func set(customer externalID: String, _ request: CreditTopUpRequest, now: Date = Date()) throws -> CreditTopUpSettings {
        guard (0...Catalog.maximumCredits).contains(request.threshold) else {
            throw DomainError.invalid("threshold", "must be from 0 to \(Catalog.maximumCredits)")
        }
        return try database.transaction { connection in
            let customer = try CreditStore.customer(externalID, on: connection)
            let catalog = try catalogCache.catalog(on: connection)
            guard let pool = catalog.creditPool(request.pool) else { throw DomainError.invalid("pool", "no credit pool \(request.pool) in the catalog") }
            guard pool.packs.contains(where: { $0.key == request.pack }) else {
                throw DomainError.invalid("pack", "pool \(request.pool) has no pack \(request.pack)")
            }
            try connection.execute("""
                INSERT INTO credit_top_ups (customer_id, pool, enabled, threshold, pack, armed, crossing, created_at, updated_at)
                VALUES (\(customer.id), \(request.pool), \(request.enabled ? 1 : 0), \(request.threshold), \(request.pack), 1, 0, \(now), \(now))
                ON CONFLICT (customer_id, pool) DO UPDATE SET enabled = excluded.enabled, threshold = excluded.threshold,
                    pack = excluded.pack, updated_at = excluded.updated_at
                """)
            guard let saved = try Self.settings(customerID: customer.id, on: connection).first(where: { $0.pool == request.pool }) else {
                throw StoreError(.decoding, "the top-up setting just saved was not found")
            }
            return saved
        }
    }

    /// The customer's top-up settings, by pool.
    package func list(customer externalID: String) throws -> [CreditTopUpSettings] {
        try database.withConnection { connection in
            try Self.settings(customerID: try CreditStore.customer(externalID, on: connection).id, on: connection)
        }
    }

    static func settings(customerID: String, on connection: any SQLConnection) throws -> [CreditTopUpSettings] {
        try connection.query("""
            SELECT pool, enabled, threshold, pack, armed, last_attempt_at, last_status, last_error, last_payment_intent, updated_at
            FROM credit_top_ups WHERE customer_id = \(customerID) ORDER BY pool
            """).map { row in
            CreditTopUpSettings(
                pool: try row.get("pool"), enabled: try row.get("enabled", as: Int64.self) != 0, threshold: try row.get("threshold"),
                pack: try row.get("pack"), armed: try row.get("armed", as: Int64.self) != 0, lastAttemptAt: try row.get("last_attempt_at"),
                lastStatus: try row.get("last_status"), lastError: try row.get("last_error"),
                lastPaymentIntent: try row.get("last_payment_intent"), updatedAt: try row.get("updated_at"))
        }
    }

    /// One pass of the crossing rule over every enabled top-up: an armed one whose available
    /// credits are below its threshold is disarmed (one conditional update, so of several
    /// instances exactly one wins) and returned to be charged; a disarmed one whose available
    /// credits are at or above its threshold is armed again. A pack no longer in the catalog is
    /// skipped. A charge left `pending` for `stalePending` (its instance stopped between disarming
    /// and recording Stripe's answer) is claimed again with the same crossing, so the charge's
    /// idempotency key makes it the same Stripe operation, not a second charge.
    package func due(now: Date = Date(), stalePending: TimeInterval = 600) throws -> [CreditTopUpCharge] {
        let rows = try database.withConnection { connection in
            try connection.query("""
                SELECT t.customer_id, t.pool, t.threshold, t.pack, t.armed, t.last_status, t.last_attempt_at, c.external_id, c.stripe_customer_id
                FROM credit_top_ups t JOIN customers c ON c.id = t.customer_id WHERE t.enabled = 1 ORDER BY t.customer_id, t.pool
                """)
        }
        var charges: [CreditTopUpCharge] = []
        for row in rows {
            let customerID: String = try row.get("customer_id")
            let poolKey: String = try row.get("pool")
            let threshold: Int64 = try row.get("threshold")
            let armed = try row.get("armed", as: Int64.self) != 0
            // Read without a write transaction (most passes change nothing); the conditional
            // updates below decide, so two instances never both claim one crossing.
            let (catalog, available) = try database.withConnection { connection in
                let catalog = try catalogCache.catalog(on: connection)
                let accounts = try CreditStore.accounts(customerID: customerID, catalog: catalog, on: connection, now: now)
                return (catalog, accounts.first { $0.pool == poolKey }?.available)
            }
            guard let available else { continue }
            if available >= threshold {
                if !armed {
                    _ = try database.transaction { connection in
                        try connection.execute("UPDATE credit_top_ups SET armed = 1 WHERE customer_id = \(customerID) AND pool = \(poolKey) AND armed = 0")
                    }
                }
                continue
            }
            let packKey: String = try row.get("pack")
            guard let pack = catalog.creditPool(poolKey)?.packs.first(where: { $0.key == packKey }) else { continue }
            let cutoff = now.addingTimeInterval(-stalePending)
            let stale = try row.get("last_status", as: String?.self) == "pending" && (try row.get("last_attempt_at", as: Date?.self)).map { $0 <= cutoff } == true
            guard armed || stale else { continue }
            let charge: CreditTopUpCharge? = try database.transaction { connection in
                let won = armed
                    ? try connection.execute("""
                        UPDATE credit_top_ups SET armed = 0, crossing = crossing + 1, last_attempt_at = \(now), last_status = 'pending',
                            last_error = NULL, last_payment_intent = NULL
                        WHERE customer_id = \(customerID) AND pool = \(poolKey) AND armed = 1
                        """)
                    : try connection.execute("""
                        UPDATE credit_top_ups SET last_attempt_at = \(now)
                        WHERE customer_id = \(customerID) AND pool = \(poolKey) AND armed = 0 AND last_status = 'pending' AND last_attempt_at <= \(cutoff)
                        """)
                guard won == 1, let crossing = try connection.queryFirst("""
                    SELECT crossing FROM credit_top_ups WHERE customer_id = \(customerID) AND pool = \(poolKey)
                    """) else { return nil }
                return CreditTopUpCharge(
                    customer: try row.get("external_id"), customerID: customerID, stripeCustomerID: try row.get("stripe_customer_id"),
                    pool: poolKey, pack: pack, crossing: try crossing.get("crossing"))
            }
            if let charge { charges.append(charge) }
        }
        return charges
    }

    /// Records how the charge of a crossing ended (`succeeded`, `failed`, …); a crossing already
    /// superseded by a newer one is left alone.
    package func recordAttempt(
        _ charge: CreditTopUpCharge, status: String, error: String?, paymentIntent: String?, now: Date = Date()
    ) throws {
        try database.transaction { connection in
            _ = try connection.execute("""
                UPDATE credit_top_ups SET last_status = \(status), last_error = \(error.map { String($0.prefix(500)) }),
                    last_payment_intent = \(paymentIntent), updated_at = \(now)
                WHERE customer_id = \(charge.customerID) AND pool = \(charge.pool) AND crossing = \(charge.crossing)
                """)
        }
    }

    /// Records the outcome Stripe's webhook reports for the top-up charge `paymentIntent` (a
    /// `processing` charge that succeeded or failed later) on the setting whose last charge it is;
    /// a setting that has charged again since is left alone. Returns whether a setting changed.
    package static func recordOutcome(
        paymentIntent: String, status: String, error: String?, on connection: any SQLConnection, now: Date
    ) throws -> Bool {
        try connection.execute("""
            UPDATE credit_top_ups SET last_status = \(status), last_error = \(error.map { String($0.prefix(500)) }), updated_at = \(now)
            WHERE last_payment_intent = \(paymentIntent) AND (last_status IS NULL OR last_status <> \(status))
            """) > 0
    }
}
