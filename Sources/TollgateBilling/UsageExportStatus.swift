package import Foundation
package import Tollgate
import TollgateBase
import TollgateEntitlements
package import TollgateStore
package import TollgateStripe

/// What `tollgate stripe usage status` and `reconcile` show (docs/usage-billing.md): per billed
/// feature how far usage was folded into meter events and how those ended, and a comparison of the
/// usage counted with what was exported (and, given a Stripe client, with Stripe's meter event
/// summaries).
package struct UsageExportStatus: Sendable {
    /// A number of meter events and the units they carry.
    package struct Tally: Sendable, Equatable, Codable {
        package var count: Int
        package var quantity: Int64
        package init(count: Int = 0, quantity: Int64 = 0) {
            self.count = count
            self.quantity = quantity
        }
    }

    /// One feature's export.
    package struct FeatureStatus: Sendable, Equatable, Codable {
        package var feature: String
        package var eventName: String
        /// Usage recorded before this instant has been folded into meter events (nil: never).
        package var scannedTo: Date?
        /// The last bucket Stripe accepted an event of.
        package var sentThrough: Date?
        package var sent = Tally()
        package var pending = Tally()
        package var late = Tally()
        package var tooOld = Tally()
        package var rejected = Tally()
        /// The latest error a pending event met, or why one was rejected.
        package var lastError: String?
    }

    /// One (customer, feature) in a reconciliation.
    package struct Difference: Sendable, Equatable, Encodable {
        package var feature: String
        package var customer: String
        package var stripeCustomer: String
        /// Usage counted in the range (Tollgate's truth).
        package var counted: Int64
        /// Units Stripe accepted.
        package var sent: Int64
        /// Units planned and still to send.
        package var pending: Int64
        /// Units never to be sent: late, too old or rejected.
        package var notBilled: Int64
        /// Counted but not yet planned (the exporter has not reached it), or negative: planned
        /// more than is counted now.
        package var unplanned: Int64 { counted - sent - pending - notBilled }
        /// Stripe's summed meter events in the range, when compared.
        package var stripe: Int64?

        /// True when Stripe has exactly what was counted.
        package var isEmpty: Bool { counted == sent && (stripe == nil || stripe == sent) }
    }

    package let store: UsageExportStore
    let database: any Database

    package init(store: UsageExportStore, database: any Database) {
        self.store = store
        self.database = database
    }

    /// Every feature with a cursor or an exported event, and every one of `billed` (empty counts
    /// for one never exported), by key.
    package func features(billed: [FeatureKey] = []) throws -> [FeatureStatus] {
        try database.withConnection { connection in
            var byFeature: [String: FeatureStatus] = [:]
            func status(_ key: String) -> FeatureStatus {
                byFeature[key] ?? FeatureStatus(
                    feature: key, eventName: FeatureKey(validating: key).map(StripeCatalogPush.meterEventName) ?? key)
            }
            for row in try connection.query("SELECT feature_key, scanned_to FROM usage_export_cursors") {
                let key: String = try row.get("feature_key")
                var entry = status(key)
                entry.scannedTo = try row.get("scanned_to")
                byFeature[key] = entry
            }
            for row in try connection.query("""
                SELECT feature_key, state, COUNT(*) AS n, CAST(SUM(quantity) AS BIGINT) AS units, MAX(bucket_start) AS latest
                FROM usage_exports GROUP BY feature_key, state
                """) {
                let key: String = try row.get("feature_key")
                var entry = status(key)
                let tally = Tally(count: try row.get("n"), quantity: try row.get("units"))
                switch try row.get("state") as String {
                case "sent":
                    entry.sent = tally
                    entry.sentThrough = try row.get("latest")
                case "pending": entry.pending = tally
                case "late": entry.late = tally
                case "too_old": entry.tooOld = tally
                default: entry.rejected = tally
                }
                byFeature[key] = entry
            }
            for row in try connection.query("""
                SELECT feature_key, error FROM usage_exports WHERE error IS NOT NULL AND state IN ('pending', 'rejected')
                ORDER BY created_at DESC LIMIT 100
                """) {
                let key: String = try row.get("feature_key")
                if byFeature[key]?.lastError == nil { byFeature[key]?.lastError = try row.get("error") }
            }
            for key in billed where byFeature[key.rawValue] == nil { byFeature[key.rawValue] = status(key.rawValue) }
            return byFeature.values.sorted { $0.feature < $1.feature }
        }
    }

    /// Counted against exported usage per customer and billed feature, for usage recorded in
    /// `[from, to)` (both rounded down to the bucket); with `stripe`, also against
    /// `GET /v1/billing/meters/{id}/event_summaries` over the same range
    /// (<https://docs.stripe.com/api/billing/meter-event-summary/list>). Every pair with usage is
    /// listed; ``Difference/isEmpty`` says whether it matches.
    package func reconcile(from: Date, to: Date, features: [FeatureKey]? = nil, stripe: StripeClient? = nil) throws -> [Difference] {
        let from = store.rules.bucket(containing: from)
        let to = store.rules.bucket(containing: to)
        var rows: [String: Difference] = [:]
        try database.withConnection { connection in
            for row in try connection.query("""
                SELECT e.feature_key, c.external_id, c.stripe_customer_id, CAST(SUM(e.quantity) AS BIGINT) AS units
                FROM usage_events e JOIN customers c ON c.id = e.customer_id
                WHERE e.recorded_at >= \(from) AND e.recorded_at < \(to) AND c.stripe_customer_id IS NOT NULL
                GROUP BY e.feature_key, c.external_id, c.stripe_customer_id
                """) {
                let feature: String = try row.get("feature_key")
                let customer: String = try row.get("external_id")
                rows[feature + "\n" + customer] = Difference(
                    feature: feature, customer: customer, stripeCustomer: try row.get("stripe_customer_id"), counted: try row.get("units"),
                    sent: 0, pending: 0, notBilled: 0)
            }
            for row in try connection.query("""
                SELECT x.feature_key, c.external_id, x.stripe_customer_id, x.state, CAST(SUM(x.quantity) AS BIGINT) AS units
                FROM usage_exports x JOIN customers c ON c.id = x.customer_id
                WHERE x.bucket_start >= \(from) AND x.bucket_start < \(to)
                GROUP BY x.feature_key, c.external_id, x.stripe_customer_id, x.state
                """) {
                let feature: String = try row.get("feature_key")
                let customer: String = try row.get("external_id")
                let key = feature + "\n" + customer
                let stripeCustomer: String = try row.get("stripe_customer_id")
                var entry = rows[key] ?? Difference(
                    feature: feature, customer: customer, stripeCustomer: stripeCustomer, counted: 0, sent: 0, pending: 0, notBilled: 0)
                let units: Int64 = try row.get("units")
                switch try row.get("state") as String {
                case "sent": entry.sent += units
                case "pending": entry.pending += units
                default: entry.notBilled += units
                }
                rows[key] = entry
            }
        }
        var result = rows.values.filter { entry in features.map { $0.map(\.rawValue).contains(entry.feature) } ?? true }
            .sorted { ($0.feature, $0.customer) < ($1.feature, $1.customer) }
        guard let stripe else { return result }
        var meters: [String: String] = [:]  // event name → meter id
        try stripe.forEachPage("/v1/billing/meters") { page in
            for meter in page where meter["status"]?.string == "active" {
                if let name = meter["event_name"]?.string, let id = meter.id { meters[name] = id }
            }
        }
        for index in result.indices {
            guard let key = FeatureKey(validating: result[index].feature), let meter = meters[StripeCatalogPush.meterEventName(key)] else { continue }
            var total: Int64 = 0
            try stripe.forEachPage("/v1/billing/meters/\(StripeClient.pathSegment(meter))/event_summaries", [
                "customer": .string(result[index].stripeCustomer), "start_time": .integer(Int(from.timeIntervalSince1970)),
                "end_time": .integer(Int(to.timeIntervalSince1970)),
            ]) { page in
                for summary in page {
                    total += Int64(summary["aggregated_value"]?.int ?? Int(summary["aggregated_value"]?.double ?? 0))
                }
            }
            result[index].stripe = total
        }
        return result
    }
}
