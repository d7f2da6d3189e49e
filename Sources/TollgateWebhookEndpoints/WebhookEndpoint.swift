package import Foundation
package import TollgateEvents
package import TollgateEntitlements

/// Whether an endpoint is sent events.
package enum WebhookEndpointStatus: String, Sendable, Codable, CaseIterable {
    case enabled
    /// Not sent events: disabled by an operator, or by the delivery worker after every delivery
    /// failed for ``WebhookDeliveryOptions/disableAfter`` (``WebhookEndpoint/disabledReason``).
    case disabled
}

/// The event types an endpoint takes: some, or every type (`["*"]` on the wire).
package enum EventSelection: Sendable, Equatable, Codable {
    case all
    case only(Set<EventType>)

    /// The wire's list: `["*"]`, or the types sorted.
    package var names: [String] {
        switch self {
        case .all: ["*"]
        case .only(let types): types.map(\.rawValue).sorted()
        }
    }

    /// The selection a request names: `["*"]` (alone), or known event types; 400 naming `field` otherwise.
    package init(names: [String], field: String = "events") throws(DomainError) {
        guard !names.isEmpty else { throw .invalid(field, "name at least one event type, or [\"*\"] for all") }
        if names.contains("*") {
            guard names == ["*"] else { throw .invalid(field, "\"*\" stands alone: it already means every type") }
            self = .all
            return
        }
        guard Set(names).count == names.count else { throw .invalid(field, "names an event type twice") }
        var types: Set<EventType> = []
        for name in names {
            guard let type = EventType(rawValue: name) else {
                throw .invalid(field, "unknown event type \"\(name.prefix(100))\"; known: \(EventType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            types.insert(type)
        }
        self = .only(types)
    }

    /// What the event log's reader filters by (nil: every type).
    package var types: Set<EventType>? {
        switch self {
        case .all: nil
        case .only(let types): types
        }
    }

    package init(from decoder: any Decoder) throws {
        let names = try decoder.singleValueContainer().decode([String].self)
        do throws(DomainError) {
            self = try EventSelection(names: names)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(names)
    }
}

/// A registered receiver of events, as the API shows it: never its signing secrets.
package struct WebhookEndpoint: Sendable, Equatable, Encodable {
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

/// A new endpoint, or a rotated one, with its signing secret: the only answer that shows it.
package struct WebhookEndpointWithSecret: Sendable, Encodable {
    package var endpoint: WebhookEndpoint
    package var secret: WebhookSecret

    package func encode(to encoder: any Encoder) throws {
        try endpoint.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(secret.revealed, forKey: .secret)
    }

    private enum CodingKeys: String, CodingKey { case secret }
}

/// `POST /v1/webhook-endpoints`.
package struct WebhookEndpointRequest: Sendable, Decodable {
    package var url: String
    package var events: [String]
    package var description: String?

    package init(url: String, events: [String], description: String? = nil) {
        self.url = url
        self.events = events
        self.description = description
    }
}

/// `PATCH /v1/webhook-endpoints/{id}`: the fields given change, the others stay.
package struct WebhookEndpointChanges: Sendable, Decodable {
    package var url: String?
    package var events: [String]?
    package var description: String?
    /// false disables the endpoint (nothing is sent; deliveries wait); true enables it again.
    package var enabled: Bool?

    package init(url: String? = nil, events: [String]? = nil, description: String? = nil, enabled: Bool? = nil) {
        self.url = url
        self.events = events
        self.description = description
        self.enabled = enabled
    }

    package var isEmpty: Bool { url == nil && events == nil && description == nil && enabled == nil }
}
