/// `PATCH /v1/webhook-endpoints/{id}`: the fields given change, the others stay.
package struct WebhookEndpointChanges: Sendable, Codable {
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
