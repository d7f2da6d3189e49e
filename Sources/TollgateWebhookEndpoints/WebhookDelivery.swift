package import Foundation

/// Where one delivery stands.
package enum WebhookDeliveryStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting for its next attempt (``WebhookDelivery/nextAttemptAt``).
    case pending
    /// A worker is sending it; when its lease runs out (the worker died) it is sent again.
    case delivering
    /// The receiver answered 2xx.
    case succeeded
    /// Retries ran out (``WebhookDeliveryOptions/retryFor``) without a 2xx.
    case failed
}

/// One event handed to one endpoint, and how sending it went.
package struct WebhookDelivery: Sendable, Equatable, Codable {
    /// `wdl_…`
    package var id: String
    package var endpointID: String
    /// The event's id: the `webhook-id` header, the same on every attempt (receivers dedupe by it).
    package var eventID: String
    package var eventType: String
    /// The event's log position; nil for a test event.
    package var eventPosition: Int64?
    package var status: WebhookDeliveryStatus
    /// Attempts made (each claim of the delivery is one).
    package var attempts: Int
    package var nextAttemptAt: Date
    /// The status code of the last answer; nil when none came (a timeout, a refused connection).
    package var lastStatusCode: Int?
    /// How long the last attempt took, milliseconds.
    package var lastLatencyMs: Int?
    /// Why the last attempt failed (never a secret).
    package var lastError: String?
    package var lastAttemptAt: Date?
    package var deliveredAt: Date?
    package var createdAt: Date
    package var updatedAt: Date

    /// `endpointID` ↔ `endpoint_id` both ways (the CLI's remote mode reads the API's JSON back).
    enum CodingKeys: String, CodingKey {
        case id, endpointID = "endpointId", eventID = "eventId", eventType, eventPosition, status, attempts, nextAttemptAt, lastStatusCode,
             lastLatencyMs, lastError, lastAttemptAt, deliveredAt, createdAt, updatedAt
    }
}
