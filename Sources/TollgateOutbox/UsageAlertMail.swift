import Foundation
import Tollgate
import TollgateBase
package import TollgateEntitlements
import TollgateMail
import TollgateStore

/// The `usage_threshold` mail (`templates/usage_threshold.*`): queued to the customer, in the usage
/// transaction, for each `usage.threshold_reached` (not for `usage.limit_reached`, which a 100 %
/// threshold already reports), when `TOLLGATE_USAGE_ALERT_MAIL` is on. A customer without an email
/// address gets none.
package enum UsageAlertMail {
    package static let observer = UsageAlertObserver { crossing, connection, now in
        guard !crossing.isLimit, let customer = try CustomerRepository.find(id: crossing.counter.customerID, on: connection),
              let email = customer.email, !email.isEmpty else { return }
        let feature = crossing.counter.feature.rawValue
        let featureName: String = try connection.queryFirst("SELECT name FROM features WHERE key = \(feature)")?.get("name") ?? feature
        var data: [String: MustacheValue] = [
            "customer": ["name": .string(customer.name ?? email), "email": .string(email), "id": .string(customer.externalID)],
            "feature": ["key": .string(feature), "name": .string(featureName)],
            "threshold": .integer(crossing.threshold),
            "used": .string(crossing.used.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))),
            "allowance": .string(crossing.allowance.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))),
        ]
        if let resetsAt = crossing.resetsAt { data["resets_at"] = .string(MailFormat.dateTime(resetsAt)) }
        let dedupeKey = "usage_threshold:\(customer.id):\(feature):\(SQLTimestamp.format(crossing.counter.windowStart)):"
            + "\(crossing.allowance):\(crossing.threshold)"
        _ = try Outbox.enqueue(
            OutboxMail(.usageThreshold, to: email, toName: customer.name, customerID: customer.id, data: .object(data), dedupeKey: dedupeKey),
            on: connection, now: now)
    }
}
