package import Foundation
package import Tollgate
import TollgateBase
import TollgateEvents
package import TollgateStore

/// A customer's limit feature whose limit fell below the members holding seats, as
/// ``SeatAlertObserver`` is told it.
package struct SeatOverLimit: Sendable, Equatable {
    /// The customer (the store's id).
    package var customerID: String
    package var feature: FeatureKey
    package var seats: SeatUse
    /// The limit now (nil: the customer is no longer entitled to the feature).
    package var limit: Int64?
}

/// The over-limit crossings of seats (docs/seats.md), in one place: a feature whose holders exceed
/// the limit is announced once (`seats.over_limit` and ``SeatAlertObserver``) and marked in its
/// `seat_limits` row (`over_limit_since`); once the holders fit again the mark is cleared, so the
/// next crossing is announced too.
///
/// The limit changes with the subscription (its plan, status or quantity), the catalog and grants;
/// each of those writes marks the customer due (``EntitlementAnnouncements``), and the scheduler's
/// evaluation of the customer (``EntitlementService/announceDue(now:limit:)``) records the crossing —
/// one path for changes and time alike (a grant expiring, a grace period ending). Assignments and
/// releases mark the customer due as well (a release may end a crossing).
package enum SeatLimits {
    /// The seat rows of `customerIDs` with holders or a crossing to end, claimed for this
    /// transaction (`SKIP LOCKED`, so the scheduler never waits: a row an assignment or release holds
    /// is passed over, and that write marks the customer due again). Keyed by customer id, then feature.
    static func claim(customerIDs: [String], on connection: any SQLConnection) throws -> [String: [FeatureKey: (assigned: Int64, over: Bool)]] {
        var result: [String: [FeatureKey: (assigned: Int64, over: Bool)]] = [:]
        guard !customerIDs.isEmpty else { return result }
        var statement = RowsStatement("SELECT customer_id, feature_key, assigned, over_limit_since FROM seat_limits WHERE (assigned > 0 OR over_limit_since IS NOT NULL) AND customer_id IN (")
        for id in customerIDs { statement.value(id.sqlValue) }
        for row in try connection.query(statement.sql(tail: ")" + connection.dialect.claimRowsClause)) {
            let since: Date? = try row.get("over_limit_since")
            result[try row.get("customer_id"), default: [:]][try StoredValue.featureKey(try row.get("feature_key"))] = (try row.get("assigned"), since != nil)
        }
        return result
    }

    /// Records the crossings of the customer's claimed seat rows (``claim(customerIDs:on:)``) under
    /// `entitlements`, their effective values now. Returns whether an event was appended.
    static func record(
        _ rows: [FeatureKey: (assigned: Int64, over: Bool)], entitlements: [FeatureKey: FeatureEntitlement], customer: EventCustomer,
        observer: SeatAlertObserver, on connection: any SQLConnection, now: Date
    ) throws -> Bool {
        var appended = false
        // A feature the catalog no longer has is passed over: its seats can be neither listed nor assigned.
        for (feature, row) in rows.sorted(by: { $0.key < $1.key }) {
            guard let entitlement = entitlements[feature] else { continue }
            let use = SeatUse(assigned: row.assigned, value: entitlement.value)
            let wasOver = row.over
            let isOver = use.overLimit > 0
            guard isOver != wasOver else { continue }
            try connection.execute("""
                UPDATE seat_limits SET over_limit_since = \(isOver ? now : nil) WHERE customer_id = \(customer.id) AND feature_key = \(feature.rawValue)
                """)
            guard isOver else { continue }
            let limit = use.assigned - use.overLimit
            try EventLog.append(.seatsOverLimit, customer: customer, data: .object([
                "feature": .string(feature.rawValue), "assigned": .integer(Int(use.assigned)), "over_limit": .integer(Int(use.overLimit)),
                "limit": .integer(Int(limit)),
            ]), on: connection, now: now)
            try observer.fired(SeatOverLimit(customerID: customer.id, feature: feature, seats: use, limit: limit), connection, now)
            appended = true
        }
        return appended
    }
}

/// Told of each over-limit crossing inside the transaction that recorded it, so whatever it records
/// (the `seats_over_limit` mail) commits or rolls back with it. The composition root injects it.
package struct SeatAlertObserver: Sendable {
    let fired: @Sendable (SeatOverLimit, any SQLConnection, Date) throws -> Void

    package init(_ fired: @escaping @Sendable (SeatOverLimit, any SQLConnection, Date) throws -> Void) {
        self.fired = fired
    }

    /// Listens to nothing.
    package static let none = SeatAlertObserver { _, _, _ in }
}
