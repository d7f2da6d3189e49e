import Foundation
import TollgateBase
import TollgateEvents
import TollgateStore

/// A credit account crossing a line in one transaction (``CreditBook/crossings(lowBalances:)``):
/// announced as `credits.low` or `credits.exhausted` in that transaction (docs/credits.md).
struct CreditAlert: Equatable {
    enum Kind: Equatable {
        case low(Int64)
        case exhausted
    }

    var key: CreditBook.Key
    var kind: Kind
    var balance: Int64
    var held: Int64
    var available: Int64

    /// Appends each alert's event; `customers` gives each customer's external id by store id.
    /// Returns whether any was appended.
    static func append(_ alerts: [CreditAlert], customers: [String: String], on connection: any SQLConnection, now: Date) throws -> Bool {
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
