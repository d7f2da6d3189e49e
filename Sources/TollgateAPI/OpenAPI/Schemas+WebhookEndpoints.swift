import TollgateCore
import TollgateEvents
import TollgateWebhookEndpoints
import TollgateBase

/// The bodies of the webhook-endpoint endpoints (``WebhookEndpointRoutes``).
extension Schemas {
    static var webhookEndpoints: [String: JSONValue] {
        let endpointProperties: [String: JSONValue] = [
            "id": string("`we_…`"),
            "url": merged(webhookURL, ["description": "Where events are POSTed."]),
            "description": nullable(string("A note for operators.")),
            "events": eventSelection,
            "status": cases(WebhookEndpointStatus.self),
            "disabled_reason": nullable(string("Why it is disabled: an operator's request, or the failures that disabled it.")),
            "cursor": ["type": "integer", "minimum": 0,
                       "description": "The last event-log position handed to this endpoint (the log's head when it was created)."],
            "failing_since": nullable(dateTime()),
            "previous_secret_expires_at": nullable(merged(dateTime(), [
                "description": "Until when the secret before the last rotation still signs beside the current one."])),
            "created_at": dateTime(),
            "updated_at": dateTime(),
        ]
        let endpointRequired = ["id", "url", "events", "status", "cursor", "created_at", "updated_at"]
        var withSecret = endpointProperties
        withSecret["secret"] = ["type": "string", "pattern": "^whsec_[A-Za-z0-9+/]+={0,2}$",
                                "description": "The signing secret (Standard Webhooks), shown only in this answer."]
        return [
            "WebhookEndpoint": object(required: endpointRequired, endpointProperties),
            "WebhookEndpointWithSecret": object(required: endpointRequired + ["secret"], withSecret),
            "WebhookEndpointList": list(of: "WebhookEndpoint"),
            "WebhookEndpointRequest": object(required: ["url", "events"], [
                "url": webhookURL,
                "events": eventSelection,
                "description": ["type": ["string", "null"], "maxLength": 500],
            ]),
            "WebhookEndpointChanges": merged(object(required: [], [
                "url": nullable(webhookURL),
                "events": merged(eventSelection, ["type": ["array", "null"]]),
                "description": ["type": ["string", "null"], "maxLength": 500, "description": "An empty string removes it; null or absent: unchanged."],
                "enabled": ["type": ["boolean", "null"],
                            "description": "false disables the endpoint; true enables it again (from the log's head). Null or absent: unchanged."],
            ]), ["minProperties": 1]),
            "WebhookDelivery": object(
                required: ["id", "endpoint_id", "event_id", "event_type", "status", "attempts", "next_attempt_at", "created_at", "updated_at"], [
                "id": string("`wdl_…`"),
                "endpoint_id": string("`we_…`"),
                "event_id": string("The event's id, sent as `webhook-id` on every attempt."),
                "event_type": string("The event's type, or `webhook_endpoint.test`."),
                "event_position": ["type": ["integer", "null"], "description": "The event's log position; null for a test event."],
                "status": cases(WebhookDeliveryStatus.self),
                "attempts": ["type": "integer", "minimum": 0],
                "next_attempt_at": dateTime(),
                "last_status_code": ["type": ["integer", "null"], "description": "The last answer's status; null when none came."],
                "last_latency_ms": ["type": ["integer", "null"], "minimum": 0],
                "last_error": nullable(string("Why the last attempt failed.")),
                "last_attempt_at": nullable(dateTime()),
                "delivered_at": nullable(dateTime()),
                "created_at": dateTime(),
                "updated_at": dateTime(),
            ]),
            "WebhookDeliveryList": list(of: "WebhookDelivery"),
        ]
    }

    /// `WebhookEndpointURL.validate`: an absolute http(s) URL with a host, no credentials or
    /// fragment, no space or control character, at most 2,048 characters.
    static let webhookURL: JSONValue = [
        "type": "string", "maxLength": .integer(WebhookEndpointURL.maximumLength), "pattern": .string(WebhookEndpointURL.pattern),
        "description": "An absolute http or https URL (no user, password or fragment).",
    ]

    /// `EventSelection(names:)`: `["*"]`, or event types.
    static var eventSelection: JSONValue {
        ["type": "array", "minItems": 1, "uniqueItems": true,
         "items": ["type": "string", "enum": .array([.string("*")] + EventType.allCases.map { .string($0.rawValue) })],
         "description": "The event types sent to the endpoint, or [\"*\"] (alone) for every type."]
    }
}
