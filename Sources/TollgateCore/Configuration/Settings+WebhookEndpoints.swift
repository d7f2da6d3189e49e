import Foundation
import TollgateMail

/// The webhook-endpoint delivery variables (``WebhookDeliveryOptions``, `docs/events.md`).
extension Settings {
    static let webhookEndpoints: [any SettingDescription] = [
        webhookWorkers, webhookLeaseSeconds, webhookTimeoutSeconds, webhookRetrySeconds, webhookRetryHours, webhookDisableAfterDays, operatorEmail,
    ]

    static let webhookWorkers = Setting(
        "TOLLGATE_WEBHOOK_WORKERS", .integer(0...64), default: 2,
        summary: "threads per process sending events to webhook endpoints (one endpoint each at a time); `0`: this process sends none")

    static let webhookLeaseSeconds = Setting(
        "TOLLGATE_WEBHOOK_LEASE_SECONDS", .integer(1...3600), default: 60,
        summary: "seconds an endpoint and its delivery in flight are held; a crashed sender's are sent again after this")

    static let webhookTimeoutSeconds = Setting(
        "TOLLGATE_WEBHOOK_TIMEOUT_SECONDS", .integer(1...300), default: 15,
        summary: "the longest one delivery may take (connecting: at most 5 s of it); must be under the lease")

    static let webhookRetrySeconds = Setting(
        "TOLLGATE_WEBHOOK_RETRY_SECONDS", .integer(0...3600), default: 10,
        summary: "first retry delay of a failed delivery in seconds, doubled per failure with jitter, capped at 6 hours")

    static let webhookRetryHours = Setting(
        "TOLLGATE_WEBHOOK_RETRY_HOURS", .integer(0...720), default: 72,
        summary: "hours a delivery is retried before it is `failed`")

    static let webhookDisableAfterDays = Setting(
        "TOLLGATE_WEBHOOK_DISABLE_AFTER_DAYS", .integer(1...365), default: 5,
        summary: "days of nothing but failed deliveries after which an endpoint is disabled (and the operator mailed)")

    static let operatorEmail = Setting(
        "TOLLGATE_OPERATOR_EMAIL", SettingFormat.mailAddress.optional, default: nil,
        summary: "the operator's address, mailed (through the outbox) when a webhook endpoint is disabled; unset: nobody is mailed")
}
