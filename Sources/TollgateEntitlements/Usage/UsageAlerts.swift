package import Foundation
import Tollgate
import TollgateBase
package import TollgateEvents
package import TollgateStore

/// Usage alerts: `usage.threshold_reached` when a customer's usage of a metered feature reaches one
/// of the feature's alert percentages of their allowance, `usage.limit_reached` when it reaches the
/// allowance. Each fires once per customer, feature, window, allowance and threshold: a usage
/// transaction knows each counter's value before and after it (the counter row is held while it is
/// added to), so the batches that cross a threshold are exactly one, and the `usage_alerts` row is
/// the record that it fired. A grant that changes the allowance re-arms the thresholds the usage
/// has not reached under the new allowance.
package enum UsageAlerts {
    /// One alert a usage transaction crossed.
    package struct Crossing: Equatable, Sendable {
        package var customer: EventCustomer
        package var counter: UsageCounterKey
        package var resetsAt: Date?
        package var allowance: Int64
        /// `threshold` (a percentage) or `limit` (the allowance itself, 100).
        package var isLimit: Bool
        package var threshold: Int
        package var used: Int64
    }

    /// The usage at which `percent` of `allowance` is reached (rounded up: 80 % of 5 is 4).
    static func boundary(_ percent: Int, of allowance: Int64) -> Int64 {
        let (product, overflow) = allowance.multipliedReportingOverflow(by: Int64(percent))
        guard !overflow else { return Int64.max }
        return (product + 99) / 100
    }

    /// The alerts a change of a counter from `before` to `after` crosses under `allowance`.
    static func crossed(
        from before: Int64, to after: Int64, allowance: Int64, alerts: [Int], customer: EventCustomer, counter: UsageCounterKey, resetsAt: Date?
    ) -> [Crossing] {
        guard allowance > 0, after > before else { return [] }
        var crossings: [Crossing] = []
        for percent in alerts {
            let mark = boundary(percent, of: allowance)
            if before < mark, mark <= after {
                crossings.append(Crossing(
                    customer: customer, counter: counter, resetsAt: resetsAt, allowance: allowance, isLimit: false, threshold: percent, used: after))
            }
        }
        if before < allowance, allowance <= after {
            crossings.append(Crossing(
                customer: customer, counter: counter, resetsAt: resetsAt, allowance: allowance, isLimit: true, threshold: 100, used: after))
        }
        return crossings
    }

    /// Records each crossing and appends its event, inside the usage transaction, in one order
    /// (customer, feature, threshold) so that concurrent batches never wait on each other crosswise.
    /// Returns whether any event was appended.
    static func fire(_ crossings: [Crossing], observer: UsageAlertObserver, on connection: any SQLConnection, now: Date) throws -> Bool {
        var appended = false
        let ordered = crossings.sorted {
            ($0.customer.id, $0.counter.feature.rawValue, $0.isLimit ? 1 : 0, $0.threshold)
                < ($1.customer.id, $1.counter.feature.rawValue, $1.isLimit ? 1 : 0, $1.threshold)
        }
        for crossing in ordered {
            let recorded = try connection.execute("""
                INSERT INTO usage_alerts (customer_id, feature_key, window_start, allowance, kind, threshold, used, fired_at)
                VALUES (\(crossing.customer.id), \(crossing.counter.feature.rawValue), \(crossing.counter.windowStart), \(crossing.allowance),
                    \(crossing.isLimit ? "limit" : "threshold"), \(crossing.threshold), \(crossing.used), \(now))
                ON CONFLICT DO NOTHING
                """)
            guard recorded > 0 else { continue }
            var data: [String: JSONValue] = [
                "feature": .string(crossing.counter.feature.rawValue), "used": .integer(Int(crossing.used)),
                "allowance": .integer(Int(crossing.allowance)), "window_start": crossing.resetsAt == nil ? .null : try DomainEvents.encode(crossing.counter.windowStart),
                "resets_at": try crossing.resetsAt.map(DomainEvents.encode) ?? .null,
            ]
            if !crossing.isLimit { data["threshold"] = .integer(crossing.threshold) }
            try EventLog.append(
                crossing.isLimit ? .usageLimitReached : .usageThresholdReached, customer: crossing.customer, data: .object(data),
                on: connection, now: now)
            try observer.fired(crossing, connection, now)
            appended = true
        }
        return appended
    }
}

/// Told of each usage alert as it fires, inside the usage transaction, so whatever it records (the
/// `usage_threshold` mail) commits or rolls back with it. The composition root injects it.
package struct UsageAlertObserver: Sendable {
    let fired: @Sendable (UsageAlerts.Crossing, any SQLConnection, Date) throws -> Void

    package init(_ fired: @escaping @Sendable (UsageAlerts.Crossing, any SQLConnection, Date) throws -> Void) {
        self.fired = fired
    }

    /// Listens to nothing.
    package static let none = UsageAlertObserver { _, _, _ in }
}
