package import Foundation
import TollgateCrypto
import TollgateEntitlements
package import TollgateStore
import TollgateWire

/// Queuing mail in the caller's transaction (see ``OutboxMail``).
package enum Outbox {
    /// Queues `mail` on `connection` (the caller's transaction), due at once. Returns `false` when
    /// a mail with the same dedupe key was already queued (nothing is written then).
    ///
    /// - Throws: ``DomainError/invalid(_:_:)`` for an empty template, recipient or dedupe key.
    @discardableResult
    package static func enqueue(_ mail: OutboxMail, on connection: any SQLConnection, now: Date = Date()) throws -> Bool {
        guard !mail.template.isEmpty else { throw DomainError.invalid("template", "must name a mail in templates/") }
        guard !mail.to.isEmpty, mail.to.count <= 320 else { throw DomainError.invalid("to", "must be an email address") }
        guard !mail.dedupeKey.isEmpty, mail.dedupeKey.count <= 500 else { throw DomainError.invalid("dedupe_key", "must be 1 to 500 characters") }
        let data = String(decoding: try WireJSON.encoder(keys: .verbatim).encode(mail.data), as: UTF8.self)
        let id = "msg_" + (try SecureRandom.token(20))
        return try connection.execute("""
            INSERT INTO outbox_messages (id, dedupe_key, template, recipient, recipient_name, customer_id, data, status, attempts,
                available_at, created_at, updated_at)
            VALUES (\(id), \(mail.dedupeKey), \(mail.template), \(mail.to), \(mail.toName), \(mail.customerID), \(data), 'pending', 0,
                \(now), \(now), \(now))
            ON CONFLICT (dedupe_key) DO NOTHING
            """) == 1
    }
}
