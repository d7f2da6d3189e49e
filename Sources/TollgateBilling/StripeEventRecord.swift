package import Foundation
package import TollgateWire

/// Where a stored Stripe event stands.
package enum StripeEventStatus: String, Sendable, Codable, CaseIterable {
    /// Stored, to be applied (due at `next_attempt_at`).
    case pending
    /// Its effect was committed in the same transaction that marked it applied; `note` says when it
    /// was stale (older than what the object last saw) or changed nothing.
    case applied
    /// A type Tollgate does not handle: stored and acknowledged only.
    case ignored
    /// Every attempt failed; `last_error` says why. `tollgate webhooks replay` tries again.
    case failed
    /// Rendered at a Stripe API version newer than the one Tollgate reads
    /// (``StripeAPIVersion/isReadable(_:)``): stored and not applied, since its shapes may have
    /// moved fields Tollgate would then miss; `note` names the version. After upgrading Tollgate
    /// (or setting the webhook endpoint's version back), `tollgate webhooks replay` applies it.
    case unsupportedVersion = "unsupported_version"
}

/// A Stripe event in the inbox (without its payload).
package struct StripeEventRecord: Sendable, Codable, Equatable {
    package var id: String
    package var type: String
    package var objectID: String?
    /// The event's `created`.
    package var created: Date
    package var status: StripeEventStatus
    package var attempts: Int
    package var nextAttemptAt: Date
    package var lastError: String?
    package var note: String?
    package var receivedAt: Date
    package var appliedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, type, objectID = "objectId", created, status, attempts, nextAttemptAt, lastError, note, receivedAt, appliedAt
    }
}

/// What `POST /webhooks/stripe` answers once the event is stored.
package struct WebhookReceipt: Sendable, Codable, Equatable {
    package var received: Bool
    /// The event id was already stored: nothing new was stored, and it is applied only once.
    package var duplicate: Bool
    /// The event id.
    package var id: String

    package init(received: Bool, duplicate: Bool, id: String) {
        self.received = received
        self.duplicate = duplicate
        self.id = id
    }
}

/// Why the inbox refused a delivery. Messages name the reason only: never a secret, a signature
/// or the body.
package struct WebhookRejection: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
        /// Missing, malformed, stale, future or non-matching `Stripe-Signature` (400).
        case invalidSignature
        /// A verified body that is not a Stripe event (400).
        case invalidEvent
        /// No webhook secret is configured (503).
        case notConfigured
    }

    package var kind: Kind
    package var message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }
}

extension WebhookRejection: FailureConvertible {
    /// A bad signature or event: invalid (400, `invalid_signature`, `invalid_event`); no secret
    /// configured: a conflict with the configuration (409, `webhooks_not_configured`, naming the setting).
    package var failure: Failure {
        switch kind {
        case .invalidSignature: Failure(.invalid, code: "invalid_signature", message: message)
        case .invalidEvent: Failure(.invalid, code: "invalid_event", message: message)
        case .notConfigured: Failure(.conflict, code: "webhooks_not_configured", message: message)
        }
    }
}
