package import Foundation

/// `POST …/credits/grants`'s body: read by the API, sent by the CLI in remote mode.
package struct CreditGrantRequest: Sendable, Codable {
    package var pool: String
    package var amount: Int64
    package var reason: String
    package var expiresAt: Date?
    package var priority: Int?
    package var idempotencyKey: String?

    package init(pool: String, amount: Int64, reason: String, expiresAt: Date? = nil, priority: Int? = nil, idempotencyKey: String? = nil) {
        self.pool = pool
        self.amount = amount
        self.reason = reason
        self.expiresAt = expiresAt
        self.priority = priority
        self.idempotencyKey = idempotencyKey
    }
}

/// `POST …/credits/holds`'s body: read by the API, sent by the CLI in remote mode.
package struct CreditHoldRequest: Sendable, Codable {
    package var pool: String
    package var amount: Int64
    /// How long the hold lasts; nil: ``CreditStore/defaultHold``.
    package var ttlSeconds: Int64?
    package var reason: String?
    package var idempotencyKey: String?

    package init(pool: String, amount: Int64, ttlSeconds: Int64? = nil, reason: String? = nil, idempotencyKey: String? = nil) {
        self.pool = pool
        self.amount = amount
        self.ttlSeconds = ttlSeconds
        self.reason = reason
        self.idempotencyKey = idempotencyKey
    }
}
