import TollgateBase
import TollgateEvents

/// The event log's shapes (``EventRoutes``, the stream): the envelope, and the `data` of each type
/// (docs/events.md has an example of each).
extension Schemas {
    static var events: [String: JSONValue] {
        let dataSchemas: [(EventType, String)] = [
            (.customerCreated, "CustomerEventData"), (.customerUpdated, "CustomerEventData"), (.customerDeleted, "CustomerEventData"),
            (.subscriptionCreated, "SubscriptionEventData"), (.subscriptionUpdated, "SubscriptionEventData"),
            (.subscriptionCanceled, "SubscriptionEventData"), (.entitlementsUpdated, "EntitlementsUpdatedData"),
            (.grantCreated, "GrantEventData"), (.grantRevoked, "GrantEventData"), (.grantExpired, "GrantEventData"),
            (.usageThresholdReached, "UsageAlertData"), (.usageLimitReached, "UsageAlertData"),
            (.creditsLow, "CreditAlertData"), (.creditsExhausted, "CreditAlertData"),
            (.seatsAssigned, "SeatEventData"), (.seatsReleased, "SeatEventData"), (.seatsOverLimit, "SeatOverLimitData"),
            (.integrationConnected, "IntegrationEventData"), (.integrationDisconnected, "IntegrationEventData"),
            (.integrationRefreshFailed, "IntegrationEventData"), (.catalogUpdated, "CatalogUpdatedData"),
        ]
        let byType = dataSchemas.map { "`\($0.0.rawValue)`: \($0.1)" }.joined(separator: "; ")
        let announced: JSONValue = object(required: ["value", "source"], [
            "value": merged(OpenAPIDocument.ref("EntitlementValue"), ["description": "Null: not entitled."]),
            "source": string("Where the value came from (plan, plan_per_unit, default_plan, grant, none)."),
            "denial": nullable(string("Why the customer is not entitled (feature_not_in_plan, no_active_subscription).")),
            "window_start": nullable(dateTime()),
            "resets_at": nullable(dateTime()),
        ])
        return [
            "Event": object(required: ["id", "type", "created_at", "position", "data"], [
                "id": string("`evt_…`: stable across deliveries (the Standard Webhooks `webhook-id`)."),
                "type": cases(EventType.self),
                "created_at": dateTime(),
                "customer": nullable(string("The customer's external id, when the event is about one.")),
                "sequence": ["type": ["integer", "null"], "minimum": 1,
                             "description": "The customer's events numbered 1, 2, 3, … in commit order."],
                "position": ["type": "integer", "minimum": 1,
                             "description": "The log's order: gap-free, in commit order; a stream resumes after it (`Last-Event-ID`)."],
                "data": ["type": "object", "description": .string("Shaped by type — \(byType).")],
            ]),
            "EventList": list(of: "Event"),
            "CustomerEventData": object(required: ["object"], [
                "object": OpenAPIDocument.ref("Customer"),
                "stripe_customer_id": string("customer.deleted: the Stripe customer Stripe deleted (the customer is kept, unlinked)."),
            ]),
            "SubscriptionEventData": object(required: ["object"], [
                "object": OpenAPIDocument.ref("Subscription"),
                "previous": ["type": "object", "description": "The state before (absent on subscription.created)."],
            ]),
            "EntitlementsUpdatedData": object(required: ["etag", "changed_features", "features"], [
                "etag": string("The snapshot's ETag at the change (what `GET /v1/customers/{id}/entitlements` answers with until usage moves)."),
                "plan": nullable(string("The plan whose entitlements apply.")),
                "subscription_status": nullable(string("The subscription's status.")),
                "changed_features": ["type": "array", "items": ["type": "string"]],
                "features": ["type": "object", "additionalProperties": announced, "description": "Each changed feature as it is now."],
                "previous": ["type": "object", "additionalProperties": announced,
                             "description": "Each changed feature as it was (absent on the customer's first announcement)."],
            ]),
            "GrantEventData": object(required: ["object"], ["object": OpenAPIDocument.ref("Grant")]),
            "UsageAlertData": object(required: ["feature", "used", "allowance"], [
                "feature": string("The metered feature."),
                "threshold": ["type": "integer", "description": "usage.threshold_reached: the percentage of the allowance reached."],
                "used": ["type": "integer", "minimum": 0, "description": "Usage in the window once the threshold was reached."],
                "allowance": ["type": "integer", "minimum": 1],
                "window_start": nullable(dateTime()),
                "resets_at": nullable(dateTime()),
            ]),
            "CreditAlertData": object(required: ["pool", "balance", "held", "available"], [
                "pool": string("The credit pool."),
                "balance": ["type": "integer", "description": "Live blocks' remaining credits less debt, after the change."],
                "held": ["type": "integer", "description": "Reserved by open holds."],
                "available": ["type": "integer", "description": "What can still be spent: balance − held − the pool's overage floor."],
                "low_balance": ["type": "integer", "description": "credits.low: the pool's threshold that was crossed."],
            ]),
            "IntegrationEventData": object(required: ["object"], [
                "object": OpenAPIDocument.ref("Connection"),
                "reason": string("integration.disconnected: why."),
                "revocation": string("integration.disconnected: what revoking at the provider did."),
                "error": string("integration.refresh_failed: the provider's refusal, safe to show."),
            ]),
            "CatalogUpdatedData": object(required: ["changes"], [
                "changes": ["type": "array", "items": ["type": "object"], "description": "What the apply changed, as `plans apply` prints it."],
            ]),
        ]
    }
}
