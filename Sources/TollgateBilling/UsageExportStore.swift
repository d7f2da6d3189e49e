package import Foundation
package import Tollgate
import TollgateCrypto
package import TollgateStore

/// The store side of the meter-event export (docs/usage-billing.md): the lease the exporters of
/// several instances share, the plan (counted usage folded into meter events to send, each
/// written before it is sent), and the events' outcomes. Every method is one short transaction.
package struct UsageExportStore: Sendable {
    /// One meter event to send (a `usage_exports` row in state `pending`), with the customer's
    /// current billing period as the mirror holds it.
    package struct PendingEvent: Sendable, Equatable {
        package var identifier: String
        package var customerID: String
        package var feature: FeatureKey
        package var bucketStart: Date
        package var seq: Int
        package var stripeCustomerID: String
        package var quantity: Int64
        package var periodStart: Date?
    }

    /// How a pending event ended (or did not).
    package enum Outcome: Sendable, Equatable {
        /// Stripe accepted it, or already had its identifier.
        case sent
        /// Not sent: the bucket's invoice had closed (``UsageExportRules/isLate(bucketStart:periodStart:now:grace:)``).
        case late
        /// Not sent: older than Stripe accepts.
        case tooOld
        /// Stripe refused it for good (the message says why).
        case rejected(String)
        /// Stripe or the network failed; it stays pending and is sent again.
        case failed(String)
    }

    /// What one planning pass did.
    package struct PlanResult: Sendable, Equatable {
        /// Events written (seq 0 and later differences).
        package var planned = 0
        /// Buckets where less was counted than was already exported (reported; never sent).
        package var overExported = 0
    }

    let database: any Database
    let rules: UsageExportRules

    package init(database: any Database, rules: UsageExportRules) {
        self.database = database
        self.rules = rules
    }

    // MARK: Lease

    /// Takes the lease, or renews it, for `ttl` when free, expired or already `holder`'s.
    package func acquireLease(holder: String, ttl: TimeInterval, now: Date) throws -> Bool {
        try database.transaction { connection in try Self.renew(holder: holder, ttl: ttl, now: now, on: connection) }
    }

    /// Gives the lease up (another instance may take it at once).
    package func releaseLease(holder: String) throws {
        try database.transaction { connection in
            _ = try connection.execute("UPDATE usage_export_lease SET holder = NULL, expires_at = NULL WHERE id = 1 AND holder = \(holder)")
        }
    }

    static func renew(holder: String, ttl: TimeInterval, now: Date, on connection: any SQLConnection) throws -> Bool {
        try connection.execute("""
            UPDATE usage_export_lease SET holder = \(holder), expires_at = \(now.addingTimeInterval(ttl))
            WHERE id = 1 AND (holder IS NULL OR holder = \(holder) OR expires_at < \(now))
            """) == 1
    }

    // MARK: Planning

    /// The deterministic identifier of the `seq`th meter event of (customer, feature, bucket):
    /// `tg_` and 40 hex digits of a SHA-256 over them. The same usage gives the same identifier on
    /// every instance and every retry, and a row holds it with one value for good.
    package static func identifier(customerID: String, feature: FeatureKey, bucketStart: Date, seq: Int) -> String {
        let bucket = Int64((bucketStart.timeIntervalSince1970).rounded(.down))
        return "tg_" + SHA256.hex("\(customerID)\n\(feature.rawValue)\n\(bucket)\n\(seq)").prefix(40)
    }

    /// Folds the counted usage of `feature` of Stripe-linked customers into meter events to send:
    /// closed buckets from the feature's cursor less the look-back (never before the first pass that
    /// found the feature billed, which only sets the cursor) up to `now − settle`, each
    /// (customer, bucket) whose count exceeds what was already planned getting the difference as
    /// its next seq. Runs only while `holder` holds the lease (checked in the transaction, which on
    /// PostgreSQL also locks the lease row, so two planners never interleave).
    package func plan(feature: FeatureKey, holder: String, now: Date) throws -> PlanResult? {
        try database.transaction { connection -> PlanResult? in
            guard try Self.renew(holder: holder, ttl: rules.leaseSeconds, now: now, on: connection) else { return nil }
            let cursor = try connection.queryFirst("""
                SELECT exporting_since, scanned_to FROM usage_export_cursors WHERE feature_key = \(feature.rawValue)
                """)
            let to = rules.bucket(containing: now.addingTimeInterval(-rules.settleSeconds))
            guard let cursor else {
                // The first pass that finds the feature billed: billing starts here; earlier usage is not exported.
                try connection.execute("""
                    INSERT INTO usage_export_cursors (feature_key, exporting_since, scanned_to, updated_at)
                    VALUES (\(feature.rawValue), \(to), \(to), \(now)) ON CONFLICT (feature_key) DO NOTHING
                    """)
                return PlanResult()
            }
            // From the cursor less the look-back, never before billing started. After an outage longer than
            // Stripe accepts that reaches far back: those rows are planned, then marked too old, not lost.
            let since: Date = try cursor.get("exporting_since")
            let scanned: Date = try cursor.get("scanned_to")
            let from = max(since, rules.bucket(containing: scanned.addingTimeInterval(-rules.lookBackSeconds)))
            guard from < to else { return PlanResult() }

            // Linked customers first, into usage_events by (customer_id, recorded_at): no index of the
            // exporter's own on the hot table.
            struct Key: Hashable { var customer: String; var bucket: Date }
            var counted: [Key: (stripe: String, quantity: Int64)] = [:]
            for row in try connection.query("""
                SELECT e.customer_id, c.stripe_customer_id, e.quantity, e.recorded_at
                FROM customers c JOIN usage_events e ON e.customer_id = c.id AND e.recorded_at >= \(from) AND e.recorded_at < \(to)
                WHERE c.stripe_customer_id IS NOT NULL AND e.feature_key = \(feature.rawValue)
                """) {
                let key = Key(customer: try row.get("customer_id"), bucket: rules.bucket(containing: try row.get("recorded_at")))
                let quantity: Int64 = try row.get("quantity")
                let stripeCustomer: String = try row.get("stripe_customer_id")
                counted[key, default: (stripeCustomer, 0)].quantity += quantity
            }
            var planned: [Key: (quantity: Int64, nextSeq: Int)] = [:]
            for row in try connection.query("""
                SELECT customer_id, bucket_start, CAST(SUM(quantity) AS BIGINT) AS total, MAX(seq) AS last_seq FROM usage_exports
                WHERE feature_key = \(feature.rawValue) AND bucket_start >= \(from) AND bucket_start < \(to) GROUP BY customer_id, bucket_start
                """) {
                let lastSeq: Int = try row.get("last_seq")
                planned[Key(customer: try row.get("customer_id"), bucket: try row.get("bucket_start"))] = (try row.get("total"), lastSeq + 1)
            }
            var result = PlanResult()
            for (key, count) in counted.sorted(by: { ($0.key.bucket, $0.key.customer) < ($1.key.bucket, $1.key.customer) }) {
                let before = planned[key] ?? (0, 0)
                let difference = count.quantity - before.quantity
                if difference < 0 { result.overExported += 1 }
                guard difference > 0 else { continue }
                let identifier = Self.identifier(customerID: key.customer, feature: feature, bucketStart: key.bucket, seq: before.nextSeq)
                result.planned += try connection.execute("""
                    INSERT INTO usage_exports (identifier, customer_id, feature_key, bucket_start, seq, stripe_customer_id, quantity, state, created_at)
                    VALUES (\(identifier), \(key.customer), \(feature.rawValue), \(key.bucket), \(before.nextSeq), \(count.stripe), \(difference), 'pending', \(now))
                    ON CONFLICT DO NOTHING
                    """)
            }
            try connection.execute("""
                UPDATE usage_export_cursors SET scanned_to = \(to), updated_at = \(now)
                WHERE feature_key = \(feature.rawValue) AND scanned_to < \(to)
                """)
            return result
        }
    }

    /// Forgets `sent` rows of buckets older than `retentionDays` (Stripe accepts nothing that old,
    /// and a reconciliation reaches 35 days back); late, too-old and rejected rows stay for the report.
    @discardableResult
    package func purgeSent(now: Date, retentionDays: Int = 40) throws -> Int {
        try database.transaction { connection in
            try connection.execute("""
                DELETE FROM usage_exports WHERE state = 'sent' AND bucket_start < \(now.addingTimeInterval(-Double(retentionDays) * 86_400))
                """)
        }
    }

    /// How many rows are in each state that needs attention (pending, late, too_old, rejected), for
    /// `/metrics`; `sent` is left out (it only grows, and counting it reads the whole index).
    package func attentionCounts() throws -> [String: Int] {
        try database.withConnection { connection in
            var counts: [String: Int] = [:]
            for row in try connection.query("SELECT state, COUNT(*) AS n FROM usage_exports WHERE state <> 'sent' GROUP BY state") {
                counts[try row.get("state")] = try row.get("n")
            }
            return counts
        }
    }

    /// The states ``attentionCounts()`` reports.
    package static let attentionStates = ["pending", "late", "too_old", "rejected"]

    // MARK: Sending

    /// Up to `limit` pending events, oldest bucket first, with each customer's current period start.
    package func pending(limit: Int) throws -> [PendingEvent] {
        try database.withConnection { connection in
            try connection.query("""
                SELECT x.identifier, x.customer_id, x.feature_key, x.bucket_start, x.seq, x.stripe_customer_id, x.quantity, s.current_period_start
                FROM usage_exports x LEFT JOIN subscriptions s ON s.customer_id = x.customer_id
                WHERE x.state = 'pending' ORDER BY x.bucket_start, x.identifier LIMIT \(limit)
                """).map { row in
                guard let feature = FeatureKey(validating: try row.get("feature_key")) else { throw StoreError(.decoding, "bad feature key in usage_exports") }
                return PendingEvent(
                    identifier: try row.get("identifier"), customerID: try row.get("customer_id"), feature: feature, bucketStart: try row.get("bucket_start"),
                    seq: try row.get("seq"), stripeCustomerID: try row.get("stripe_customer_id"), quantity: try row.get("quantity"),
                    periodStart: try row.get("current_period_start"))
            }
        }
    }

    /// Records outcomes in one transaction (a pending row only: an outcome never overwrites another).
    package func record(_ outcomes: [(identifier: String, outcome: Outcome)], now: Date) throws {
        guard !outcomes.isEmpty else { return }
        try database.transaction { connection in
            for (identifier, outcome) in outcomes {
                switch outcome {
                case .sent:
                    try connection.execute("""
                        UPDATE usage_exports SET state = 'sent', sent_at = \(now), attempts = attempts + 1, error = NULL
                        WHERE identifier = \(identifier) AND state = 'pending'
                        """)
                case .late, .tooOld, .rejected:
                    let (state, error): (String, String) = switch outcome {
                    case .late: ("late", "the bucket's billing period had closed")
                    case .tooOld: ("too_old", "older than Stripe accepts (35 days)")
                    case .rejected(let message): ("rejected", message)
                    default: ("rejected", "")
                    }
                    try connection.execute("""
                        UPDATE usage_exports SET state = \(state), error = \(error) WHERE identifier = \(identifier) AND state = 'pending'
                        """)
                case .failed(let message):
                    try connection.execute("""
                        UPDATE usage_exports SET attempts = attempts + 1, error = \(message) WHERE identifier = \(identifier) AND state = 'pending'
                        """)
                }
            }
        }
    }
}

/// The export's rules in one place: buckets, when a bucket is closed, how far back usage may be
/// late, when a period's invoice counts as closed, and what Stripe accepts.
package struct UsageExportRules: Sendable, Equatable {
    /// The aggregation interval: one meter event per customer, feature and bucket of this many seconds.
    package var bucketSeconds: TimeInterval = 60
    /// A bucket is exported once this long has passed after its end (usage committed a little
    /// after it was recorded still lands in it).
    package var settleSeconds: TimeInterval = 60
    /// Each pass re-reads this far before its feature's cursor, so usage committed later than
    /// that into an exported bucket is still found (as the bucket's next seq).
    package var lookBackSeconds: TimeInterval = 3600
    /// How long after a period ends its invoice still takes usage (Stripe's default grace is an
    /// hour: <https://docs.stripe.com/billing/subscriptions/usage-based/configure-grace-period>).
    package var invoiceGraceSeconds: TimeInterval = 3600
    /// The oldest a meter event's timestamp may be: Stripe accepts 35 days; a minute less, for the
    /// time a request takes.
    package var maximumAge: TimeInterval = 35 * 86_400 - 60
    /// How long a lease lasts unless renewed.
    package var leaseSeconds: TimeInterval = 60

    package init(bucketSeconds: TimeInterval = 60, settleSeconds: TimeInterval = 60, lookBackSeconds: TimeInterval = 3600, invoiceGraceSeconds: TimeInterval = 3600) {
        self.bucketSeconds = bucketSeconds
        self.settleSeconds = settleSeconds
        self.lookBackSeconds = lookBackSeconds
        self.invoiceGraceSeconds = invoiceGraceSeconds
    }

    /// The start of the bucket holding `date`.
    package func bucket(containing date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / bucketSeconds).rounded(.down) * bucketSeconds)
    }

    /// Whether usage in the bucket starting `bucketStart` is late: the customer's current period
    /// (as mirrored from Stripe) began after the bucket, and the grace after that start is over —
    /// the bucket's invoice has closed, and sending it now would bill nothing or the wrong period.
    package func isLate(bucketStart: Date, periodStart: Date?, now: Date) -> Bool {
        guard let periodStart else { return false }
        return bucketStart < periodStart && now >= periodStart.addingTimeInterval(invoiceGraceSeconds)
    }

    /// Whether Stripe would refuse a meter event of that bucket as too old.
    package func isTooOld(bucketStart: Date, now: Date) -> Bool {
        bucketStart < now.addingTimeInterval(-maximumAge)
    }
}
