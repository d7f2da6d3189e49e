import Foundation
import TollgateMail
import TollgateOAuth
import TollgateOutbox
import TollgateBase

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
            "disconnected_at": .string(MailFormat.dateTime(date)),
            "reason": .string(reason),
        ]
        if let url = provider?.reconnectURL ?? stored.returnURL { data["reconnect"] = .object(["url": .string(url)]) }
        return OutboxMail(
            .integrationDisconnected, to: email, toName: stored.customerName, customerID: stored.connection.customerID,
            data: .object(data), dedupeKey: dedupeKey)
    }
}
