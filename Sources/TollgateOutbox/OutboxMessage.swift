package import Foundation

/// Where a queued mail stands.
package enum OutboxStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting to be sent (due at `availableAt`: now, after a backoff, or after a rate-limit wait).
    case pending
    /// Claimed by a worker until `leaseExpiresAt`; a lease that runs out is claimed again.
    case sending
    /// Accepted by the server or provider (`providerMessageID`, `sentAt`).
    case sent
    /// Given up: a permanent failure, or every attempt failed; `lastError` says why.
    /// `tollgate outbox retry` queues it again.
    case dead
    /// Not sent: the recipient is on the suppression list.
    case suppressed
}

/// A mail in the outbox, as operators see it (the template data is in ``OutboxMessageDetail``).
package struct OutboxMessage: Sendable, Codable, Equatable {
    package var id: String
    package var dedupeKey: String
    package var template: String
    package var recipient: String
    package var recipientName: String?
    package var customerID: String?
    package var status: OutboxStatus
    /// Claims so far (each claim is one attempt to send).
    package var attempts: Int
    package var availableAt: Date
    package var leaseExpiresAt: Date?
    /// Why the last attempt failed (or why the mail is dead).
    package var lastError: String?
    /// Why the mail waits or was skipped (a rate limit, the suppression list).
    package var note: String?
    package var providerMessageID: String?
    package var sentAt: Date?
    package var createdAt: Date
    package var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, dedupeKey, template, recipient, recipientName, customerID = "customerId", status, attempts, availableAt,
             leaseExpiresAt, lastError, note, providerMessageID = "providerMessageId", sentAt, createdAt, updatedAt
    }
}

/// A mail with the data its template is rendered with.
package struct OutboxMessageDetail: Sendable, Codable, Equatable {
    package var message: OutboxMessage
    /// The template data as stored (JSON).
    package var data: String
}
