import Foundation
import TollgateMail
import TollgateOAuth

/// The `integration_disconnected` mail (`templates/integration_disconnected.*`), queued in the
/// transaction that disconnects a connection or marks it `refresh_failed`.
enum DisconnectionMail {
    /// Nil when the customer has no email address.
    static func make(
        _ stored: StoredConnection, provider: OAuthProvider?, reason: String, at date: Date, dedupeKey: String
    ) -> OutboxMail? {
        guard let email = stored.customerEmail, !email.isEmpty else { return nil }
        let name = stored.customerName ?? email
        var integration: [String: MustacheValue] = ["name": .string(provider?.displayName ?? stored.connection.provider)]
        if let account = stored.connection.account { integration["account"] = .string(account) }
        var data: [String: MustacheValue] = [
            "customer": .object(["name": .string(name), "email": .string(email)]),
            "integration": .object(integration),
            "disconnected_at": .string(format(date)),
            "reason": .string(reason),
        ]
        if let url = provider?.reconnectURL ?? stored.returnURL { data["reconnect"] = .object(["url": .string(url)]) }
        return OutboxMail(
            template: "integration_disconnected", to: email, toName: stored.customerName, customerID: stored.connection.customerID,
            data: .object(data), dedupeKey: dedupeKey)
    }

    /// "February 12, 2026 at 09:30 UTC", as the template's example shows.
    static func format(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "MMMM d, yyyy 'at' HH:mm 'UTC'"
        return formatter.string(from: date)
    }
}
