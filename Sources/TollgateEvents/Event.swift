package import Foundation
package import TollgateBase

/// One entry of the event log, as consumers receive it (the stream, webhook endpoints, the API).
///
/// Wire shape (`WireJSON`): `{"id", "type", "created_at", "customer", "sequence", "position", "data"}`.
package struct Event: Sendable, Equatable, Codable {
    /// `evt_…`: stable, the same in every delivery (the Standard Webhooks `webhook-id`).
    package var id: String
    package var type: EventType
    package var createdAt: Date
    /// The customer's external id, when the event is about one.
    package var customer: String?
    /// The customer's events numbered 1, 2, 3, … in the order their changes committed.
    package var sequence: Int64?
    /// The log's order: gap-free, in commit order; what a stream resumes from (`Last-Event-ID`).
    package var position: Int64
    /// The change, shaped per type (docs/events.md).
    package var data: JSONValue

    package init(id: String, type: EventType, createdAt: Date, customer: String?, sequence: Int64?, position: Int64, data: JSONValue) {
        self.id = id
        self.type = type
        self.createdAt = createdAt
        self.customer = customer
        self.sequence = sequence
        self.position = position
        self.data = data
    }
}

/// The customer an event is about: Tollgate's id (`cus_…`, for the per-customer sequence) and the
/// external id consumers know.
package struct EventCustomer: Sendable, Equatable {
    package var id: String
    package var externalID: String

    package init(id: String, externalID: String) {
        self.id = id
        self.externalID = externalID
    }
}

/// Which events a consumer wants: one customer's (nil: all), of some types (nil: all).
package struct EventFilter: Sendable, Equatable {
    package var customer: String?
    package var types: Set<EventType>?

    package init(customer: String? = nil, types: Set<EventType>? = nil) {
        self.customer = customer
        self.types = types
    }

    package static let all = EventFilter()

    package func matches(_ event: Event) -> Bool {
        (customer == nil || event.customer == customer) && (types?.contains(event.type) ?? true)
    }
}
