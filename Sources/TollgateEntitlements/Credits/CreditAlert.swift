package import Foundation
import TollgateBase
import TollgateEvents
package import TollgateStore

/// A credit account crossing a line in one transaction (``CreditBook/crossings(lowBalances:)``):
/// announced as `credits.low` or `credits.exhausted` in that transaction (docs/credits.md).
package struct CreditAlert: Equatable, Sendable {
    package enum Kind: Equatable, Sendable {
        /// Below the pool's `low_balance` (the threshold).
        case low(Int64)
        case exhausted
    }

    var key: CreditBook.Key
    package var kind: Kind
    package var balance: Int64
    package var held: Int64
    package var available: Int64

    /// The customer (the store's id).
    package var customerID: String { key.customerID }
    package var pool: String { key.pool }

    /// Appends each alert's event and tells `observer`; `customers` gives each customer's external
    /// id by store id. Returns whether any was appended.
    static func append(
        _ alerts: [CreditAlert], customers: [String: String], observer: CreditAlertObserver, on connection: any SQLConnection, now: Date
    ) throws -> Bool {
        var appended = false
        for alert in alerts {
            guard let externalID = customers[alert.key.customerID] else { continue }
            var data: [String: JSONValue] = [
                "pool": .string(alert.key.pool), "balance": .integer(Int(alert.balance)), "held": .integer(Int(alert.held)),
                "available": .integer(Int(alert.available)),
            ]
            let type: EventType
            switch alert.kind {
            case .low(let threshold):
                type = .creditsLow
                data["low_balance"] = .integer(Int(threshold))
            case .exhausted:
                type = .creditsExhausted
            }
            try EventLog.append(
                type, customer: EventCustomer(id: alert.key.customerID, externalID: externalID), data: .object(data), on: connection, now: now)
            try observer.fired(alert, connection, now)
            appended = true
        }
        return appended
    }

    /// Each pool's `low_balance`, for ``CreditBook/crossings(lowBalances:)``.
    static func lowBalances(_ catalog: Catalog) -> [String: Int64] {
        var result: [String: Int64] = [:]
        for pool in catalog.creditPools { if let low = pool.lowBalance { result[pool.key] = low } }
        return result
    }
}

/// Told of each credit alert inside the transaction that crossed it, so whatever it records (the
/// `credits_low` mail) commits or rolls back with it. The composition root injects it.
package struct CreditAlertObserver: Sendable {
    let fired: @Sendable (CreditAlert, any SQLConnection, Date) throws -> Void

    package init(_ fired: @escaping @Sendable (CreditAlert, any SQLConnection, Date) throws -> Void) {
        self.fired = fired
    }

    /// Listens to nothing.
    package static let none = CreditAlertObserver { _, _, _ in }
}
