import TollgateBase

/// The body of `GET /v1/stripe/usage-export` (``UsageExportRoutes``; docs/usage-billing.md).
extension Schemas {
    static var usageExport: [String: JSONValue] {
        let tally = object(required: ["count", "quantity"], [
            "count": ["type": "integer", "minimum": 0, "description": "Meter events."],
            "quantity": ["type": "integer", "description": "Units they carry."],
        ])
        return [
            "UsageExportFeature": object(required: ["feature", "event_name", "sent", "pending", "late", "too_old", "rejected"], [
                "feature": string("The feature key."),
                "event_name": string("The Billing Meter's event name (`tollgate.<feature>`)."),
                "scanned_to": merged(dateTime(), ["description": "Usage recorded before this was folded into meter events; absent: never."]),
                "sent_through": merged(dateTime(), ["description": "The start of the last one-minute bucket Stripe accepted; absent: none."]),
                "sent": merged(tally, ["description": "Accepted by Stripe."]),
                "pending": merged(tally, ["description": "To send."]),
                "late": merged(tally, ["description": "Not sent: their billing period's invoice had closed."]),
                "too_old": merged(tally, ["description": "Not sent: older than Stripe accepts (35 days)."]),
                "rejected": merged(tally, ["description": "Refused by Stripe; not retried."]),
                "last_error": string("The latest error a pending event met, or why one was rejected."),
            ]),
            "UsageExportList": list(of: "UsageExportFeature"),
        ]
    }
}
