import Foundation
import TollgateBase
package import TollgateEntitlements
import TollgateMail
import TollgateStore

/// The `credits_low` mail (`templates/credits_low.*`): queued to the customer, in the transaction
/// that crossed it, for each `credits.low` and `credits.exhausted` (docs/credits.md), when
/// `TOLLGATE_USAGE_ALERT_MAIL` is on. A customer without an email address gets none.
package enum CreditAlertMail {
    package static let observer = CreditAlertObserver { alert, connection, now in
        guard let customer = try CustomerRepository.find(id: alert.customerID, on: connection), let email = customer.email, !email.isEmpty else { return }
        let poolName: String = try connection.queryFirst("SELECT name FROM credit_pools WHERE key = \(alert.pool)")?.get("name") ?? alert.pool
        let exhausted = alert.kind == .exhausted
        let number = { (value: Int64) in value.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US"))) }
        let data: [String: MustacheValue] = [
            "customer": ["name": .string(customer.name ?? email), "email": .string(email), "id": .string(customer.externalID)],
            "pool": ["key": .string(alert.pool), "name": .string(poolName)],
            "balance": .string(number(alert.balance)),
            "available": .string(number(max(0, alert.available))),
            "exhausted": .bool(exhausted),
        ]
        // One mail per crossing: the ledger position of the account when it crossed.
        let dedupeKey = "credits_low:\(customer.id):\(alert.pool):\(exhausted ? "exhausted" : "low"):\(SQLTimestamp.format(now)):\(alert.available)"
        _ = try Outbox.enqueue(
            OutboxMail(.creditsLow, to: email, toName: customer.name, customerID: customer.id, data: .object(data), dedupeKey: dedupeKey),
            on: connection, now: now)
    }
}
