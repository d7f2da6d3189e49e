public import Foundation

/// Where a queued mail stands.
public enum OutboxStatus: String, Sendable, Codable, CaseIterable {
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
public struct OutboxMessage: Sendable, Codable, Equatable {
    public var id: String
    public var dedupeKey: String
    public var template: String
    public var recipient: String
    public var recipientName: String?
    public var customerID: String?
    public var status: OutboxStatus
    /// Claims so far (each claim is one attempt to send).
    public var attempts: Int
    public var availableAt: Date
    public var leaseExpiresAt: Date?
    /// Why the last attempt failed (or why the mail is dead).
    public var lastError: String?
    /// Why the mail waits or was skipped (a rate limit, the suppression list).
    public var note: String?
    public var providerMessageID: String?
    public var sentAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, dedupeKey, template, recipient, recipientName, customerID = "customerId", status, attempts, availableAt,
             leaseExpiresAt, lastError, note, providerMessageID = "providerMessageId", sentAt, createdAt, updatedAt
    }
}

/// A mail with the data its template is rendered with.
public struct OutboxMessageDetail: Sendable, Codable, Equatable {
    public var message: OutboxMessage
    /// The template data as stored (JSON).
    public var data: String
}
