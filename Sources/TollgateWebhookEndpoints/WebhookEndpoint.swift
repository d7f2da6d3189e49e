package import Foundation

/// A registered receiver of events, as the API shows it: never its signing secrets.
package struct WebhookEndpoint: Sendable, Equatable, Codable {
    /// `we_…`
    package var id: String
    package var url: String
    package var description: String?
    package var events: EventSelection
    package var status: WebhookEndpointStatus
    /// Why it is disabled (an operator's request, or the failures that disabled it).
    package var disabledReason: String?
    /// The last event-log position handed to this endpoint (its deliveries hold what came before).
    package var cursor: Int64
    /// The first failed delivery since the last one that succeeded; nil while deliveries succeed.
    package var failingSince: Date?
    /// Until when the secret before the last rotation still signs (beside the current one).
    package var previousSecretExpiresAt: Date?
    package var createdAt: Date
    package var updatedAt: Date
}

/// Whether an endpoint is sent events.
package enum WebhookEndpointStatus: String, Sendable, Codable, CaseIterable {
    case enabled
    /// Not sent events: disabled by an operator, or by the delivery worker after every delivery
    /// failed for ``WebhookDeliveryOptions/disableAfter`` (``WebhookEndpoint/disabledReason``).
    case disabled
}
