/// `POST /v1/webhook-endpoints`.
package struct WebhookEndpointRequest: Sendable, Codable {
    package var url: String
    package var events: [String]
    package var description: String?

    package init(url: String, events: [String], description: String? = nil) {
        self.url = url
        self.events = events
        self.description = description
    }
}
