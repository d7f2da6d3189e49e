import TollgateCore
import TollgateOutbox
import TollgateBase

/// The bodies of the outbox and suppression-list endpoints (``OutboxRoutes``, ``SuppressionRoutes``).
extension Schemas {
    static var outbox: [String: JSONValue] {
        [
            "OutboxMessage": object(
                required: ["id", "dedupe_key", "template", "recipient", "status", "attempts", "available_at", "created_at", "updated_at"], [
                "id": string("`msg_…`"),
                "dedupe_key": string("Unique per change: one change never queues two mails."),
                "template": string("The mail in `templates/`, e.g. `subscription_started`."),
                "recipient": string("The address it goes to."),
                "recipient_name": nullable(string("The recipient's display name.")),
                "customer_id": nullable(string("Tollgate's id of the customer the mail concerns (`cus_…`).")),
                "status": cases(OutboxStatus.self),
                "attempts": ["type": "integer", "minimum": 0, "description": "Claims so far (each claim is one attempt to send)."],
                "available_at": dateTime(),
                "lease_expires_at": nullable(dateTime()),
                "last_error": nullable(string("Why the last attempt failed, or why the mail is dead.")),
                "note": nullable(string("Why the mail waits or was skipped (a rate limit, the suppression list).")),
                "provider_message_id": nullable(string("The server's or provider's id once sent.")),
                "sent_at": nullable(dateTime()),
                "created_at": dateTime(),
                "updated_at": dateTime(),
            ]),
            "OutboxMessageDetail": ["allOf": [OpenAPIDocument.ref("OutboxMessage"), object(required: ["data"], [
                "data": ["type": "object", "description": "The template data the mail is rendered with."],
            ])]],
            "OutboxMessageList": list(of: "OutboxMessage"),
            "OutboxPurgeRequest": object(required: ["status"], [
                "status": ["type": "string", "const": "dead", "description": "Only dead mail can be purged."],
                "older_than_days": ["type": "integer", "minimum": 0, "maximum": 36_500,
                                    "description": "Only mail dead for more than this many days; omitted: all dead mail."],
            ]),
            "OutboxPurgeResult": object(required: ["purged"], ["purged": ["type": "integer", "minimum": 0]]),
            "Suppression": object(required: ["address", "reason", "created_at"], [
                "address": string("Lower-cased."),
                "reason": suppressionReason,
                "note": nullable(string("A note for operators.")),
                "created_at": dateTime(),
            ]),
            "SuppressionRequest": object(required: ["address"], [
                "address": merged(emailAddress, ["description": "The address never to mail (compared case-insensitively)."]),
                "reason": merged(suppressionReason, ["default": "manual"]),
                "note": ["type": "string", "maxLength": 500],
            ]),
            "SuppressionList": list(of: "Suppression"),
        ]
    }

    static let suppressionReason = cases(SuppressionReason.self)
}
