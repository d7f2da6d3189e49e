import Foundation
import Tollgate
import TollgateBase
package import TollgateEntitlements
import TollgateMail
import TollgateStore

/// The `seats_over_limit` mail (`templates/seats_over_limit.*`): queued to the customer, in the
/// transaction that recorded the crossing, for each `seats.over_limit` (docs/seats.md): the limit
/// fell below the members holding seats, nobody was released, and new assignments wait until
/// enough are. A customer without an email address gets none.
package enum SeatOverLimitMail {
    package static let observer = SeatAlertObserver { alert, connection, now in
        guard let customer = try CustomerRepository.find(id: alert.customerID, on: connection), let email = customer.email, !email.isEmpty else { return }
        let featureName: String = try connection.queryFirst("SELECT name FROM features WHERE key = \(alert.feature.rawValue)")?.get("name")
            ?? alert.feature.rawValue
        let data: [String: MustacheValue] = [
            "customer": ["name": .string(customer.name ?? email), "email": .string(email), "id": .string(customer.externalID)],
            "feature": ["key": .string(alert.feature.rawValue), "name": .string(featureName)],
            "assigned": .string(String(alert.seats.assigned)),
            "limit": .string(String(alert.limit ?? 0)),
            "over_limit": .string(String(alert.seats.overLimit)),
        ]
        // One mail per crossing: the instant it was recorded.
        let dedupeKey = "seats_over_limit:\(customer.id):\(alert.feature.rawValue):\(SQLTimestamp.format(now))"
        _ = try Outbox.enqueue(
            OutboxMail(.seatsOverLimit, to: email, toName: customer.name, customerID: customer.id, data: .object(data), dedupeKey: dedupeKey),
            on: connection, now: now)
    }
}
