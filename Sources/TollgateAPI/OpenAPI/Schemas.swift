import Tollgate
import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateBase

/// JSON Schemas (OpenAPI 3.1 dialect) of the API's bodies, by name.
enum Schemas {
    static var all: [String: JSONValue] {
        [
            "Error": object(required: ["error"], [
                "error": object(required: ["code", "message", "details"], [
                    "code": string("Machine-readable error code, e.g. `invalid_json`, `not_found`."),
                    "message": string("Human-readable explanation."),
                    "details": ["type": "array", "items": object(required: ["issue"], [
                        "field": string("The field at fault, when there is one."),
                        "issue": string("What is wrong with it."),
                    ])],
                ]),
            ]),
            "Health": object(required: ["status"], ["status": ["type": "string", "enum": ["ok"]]]),
            "OpenAPIDocument": object(required: ["openapi", "info", "paths", "components"], [
                "openapi": ["type": "string", "const": "3.1.0"],
                "info": ["type": "object"], "servers": ["type": "array"], "paths": ["type": "object"], "components": ["type": "object"],
            ]),
            "Readiness": object(required: ["status", "checks"], [
                "status": ["type": "string", "enum": ["ready", "not_ready"]],
                "checks": ["type": "object", "additionalProperties": object(required: ["ok"], [
                    "ok": ["type": "boolean"],
                    "message": string("Why the check failed."),
                ])],
            ]),
            "APIKey": object(required: ["id", "name", "scope", "created_at"], [
                "id": string("Public key id (the part after `tg_`); the secret is never returned."),
                "name": string("What the key is for."),
                "scope": cases(APIKeyScope.self),
                "created_at": dateTime(),
                "revoked_at": nullable(dateTime()),
                "last_used_at": nullable(dateTime()),
            ]),
            "APIKeyList": list(of: "APIKey"),
            "Customer": object(required: ["id", "external_id", "metadata", "created_at", "updated_at"], [
                "id": string("Tollgate's id for the customer (`cus_…`)."),
                "external_id": string("The SaaS's own id for the customer (its org or account id)."),
                "email": nullable(string("Billing email.")),
                "name": nullable(string("Display name.")),
                "metadata": ["type": "object", "additionalProperties": ["type": "string"]],
                "stripe_customer_id": nullable(string("The linked Stripe customer, once there is one.")),
                "created_at": dateTime(),
                "updated_at": dateTime(),
            ]),
            "CustomerUpsert": object(required: ["external_id"], [
                "external_id": externalID,
                "email": ["type": "string", "maxLength": 320, "pattern": "@", "description": "Billing email; omitted keeps the current one."],
                "name": ["type": "string", "maxLength": 500, "description": "Display name; omitted keeps the current one."],
                "metadata": ["type": "object", "maxProperties": 50, "propertyNames": ["minLength": 1, "maxLength": 40],
                             "additionalProperties": ["type": "string", "maxLength": 500],
                             "description": "Replaces the metadata when given: at most 50 keys of 1–40 characters, values of at most 500."],
            ]),
            "CustomerList": list(of: "Customer"),
            "EntitlementValue": ["description": "true (boolean features), a whole number (limit or quota), or \"unlimited\"",
                                 "oneOf": [["type": "boolean", "const": true], ["type": "integer", "minimum": 0], ["type": "string", "const": "unlimited"]]],
            "Feature": object(required: ["key", "name", "kind"], [
                "key": ["type": "string", "pattern": "^[a-z0-9_]+(\\.[a-z0-9_]+)*$"],
                "name": string("Human-readable name."),
                "kind": cases(FeatureKind.self),
                "reset": merged(nullable(cases(ResetPeriod.self)), ["description": "Metered features only."]),
                "alerts": ["type": ["array", "null"], "items": ["type": "integer", "minimum": 1, "maximum": 1000],
                           "description": "Metered features: usage alerts in percent of the allowance; null takes the catalog's default."],
                "credits": object(required: ["pool", "cost"], [
                    "pool": string("The credit pool each unit draws from."), "cost": ["type": "integer", "minimum": 1, "description": "Credits per unit."],
                ]),
            ]),
            "FeatureList": list(of: "Feature"),
            "Plan": object(required: ["key", "name", "status", "prices", "trial_days", "entitlements", "rate_limits", "is_default"], [
                "key": string("The plan's key, e.g. `pro`."),
                "name": string("Human-readable name."),
                "status": cases(PlanStatus.self),
                "prices": ["type": "array", "items": object(required: ["interval", "currency", "unit_amount"], [
                    "interval": cases(BillingInterval.self),
                    "currency": string("ISO 4217, lowercase."),
                    "unit_amount": ["type": "integer", "description": "Minor units (cents)."],
                ])],
                "trial_days": ["type": "integer", "minimum": 0],
                "entitlements": ["type": "object",
                                 "additionalProperties": ["oneOf": [OpenAPIDocument.ref("EntitlementValue"), OpenAPIDocument.ref("PerUnitEntitlement")]],
                                 "description": "Feature key → value, or a limit per unit of the subscription's quantity (docs/seats.md)."],
                "rate_limits": ["type": "array", "items": OpenAPIDocument.ref("RateLimitPolicy")],
                "is_default": ["type": "boolean", "description": "Customers without an active subscription get this plan."],
                "metered_prices": ["type": "object", "description": "Metered feature key → its per-unit price billed by Stripe (docs/usage-billing.md); absent when none.",
                                   "additionalProperties": object(required: ["unit_amount_decimal", "currency"], [
                                       "unit_amount_decimal": string("Per unit, in minor units, at most 12 decimal places (`\"0.05\"`)."),
                                       "currency": string("ISO 4217, lowercase."),
                                   ])],
                "seat_billing": object(required: ["feature"], [
                    "feature": string("The limit feature whose assigned seats the Stripe quantity follows (docs/seats.md)."),
                    "proration_behavior": cases(ProrationBehavior.self),
                ]),
            ]),
            "PlanList": list(of: "Plan"),
            "RateLimitPolicy": object(required: ["name", "limit", "window_seconds", "burst"], [
                "name": string("Policy name."), "limit": ["type": "integer", "description": "Requests per window."],
                "window_seconds": ["type": "integer"], "burst": ["type": "integer", "description": "Requests a rested key may make at once."],
            ]),
            "Subscription": object(required: ["id", "customer", "plan", "status", "quantity", "cancel_at_period_end", "created_at", "updated_at"], [
                "id": string("`sub_…`"),
                "customer": string("The customer's external id."),
                "plan": string("Plan key."),
                "status": subscriptionStatus,
                "quantity": ["type": "integer", "minimum": 1],
                "current_period_start": nullable(dateTime()),
                "current_period_end": nullable(dateTime()),
                "cancel_at_period_end": ["type": "boolean"],
                "trial_end": nullable(dateTime()),
                "past_due_since": nullable(dateTime()),
                "stripe_subscription_id": nullable(string("The Stripe subscription, when Stripe drives it.")),
                "created_at": dateTime(),
                "updated_at": dateTime(),
            ]),
            "SubscriptionChange": object(required: ["plan", "status"], [
                "plan": string("Plan key; must exist and not be archived (else 400)."),
                "status": subscriptionStatus,
                "quantity": ["type": "integer", "minimum": 1],
                "current_period_start": instant,
                "current_period_end": merged(instant, ["description": "After current_period_start when both are given (else 400)."]),
                "cancel_at_period_end": ["type": "boolean"],
                "trial_end": instant,
            ]),
            "SubscriptionHistory": object(required: ["data", "has_more"], [
                "data": ["type": "array", "items": object(required: ["plan", "status", "quantity", "source", "changed_at"], [
                    "plan": ["type": "string"], "status": subscriptionStatus, "quantity": ["type": "integer"],
                    "current_period_start": nullable(dateTime()), "current_period_end": nullable(dateTime()),
                    "cancel_at_period_end": ["type": "boolean"], "trial_end": nullable(dateTime()),
                    "source": string("`api`, `cli` or `stripe`."), "changed_at": dateTime(),
                ])],
                "has_more": ["type": "boolean"],
            ]),
            "Grant": object(required: ["id", "feature", "value", "reason", "granted_by", "created_at"], [
                "id": string("`grt_…`"),
                "feature": string("Feature key."),
                "value": OpenAPIDocument.ref("EntitlementValue"),
                "reason": string("Why it was granted."),
                "granted_by": string("Who granted it."),
                "created_at": dateTime(),
                "expires_at": nullable(dateTime()),
                "revoked_at": nullable(dateTime()),
            ]),
            "GrantRequest": object(required: ["feature", "value", "reason"], [
                "feature": featureKey,
                "value": OpenAPIDocument.ref("EntitlementValue"),
                "reason": ["type": "string", "minLength": 1, "maxLength": 500, "description": "Why."],
                "expires_at": merged(instant, ["description": "In the future (else 400); omitted: never expires."]),
                "granted_by": string("Who; defaults to the API key's name."),
            ]),
            "GrantList": list(of: "Grant"),
            "FeatureEntitlement": object(required: ["feature", "kind", "source"], [
                "feature": string("Feature key."),
                "kind": cases(FeatureKind.self),
                "value": ["oneOf": [OpenAPIDocument.ref("EntitlementValue"), ["type": "null"]], "description": "null when not entitled."],
                "source": cases(EntitlementSource.self),
                "used": ["type": ["integer", "null"]],
                "remaining": ["type": ["integer", "null"]],
                "resets_at": nullable(dateTime()),
                "window_start": nullable(dateTime()),
                "denial": nullable(string("Reason code when not entitled.")),
                "credits": ["oneOf": [OpenAPIDocument.ref("FeatureCreditUse"), ["type": "null"]],
                            "description": "Features priced in credits (docs/credits.md): the price and the customer's balance."],
                "per_unit": ["oneOf": [OpenAPIDocument.ref("PerUnitBasis"), ["type": "null"]],
                             "description": "Source plan_per_unit: the plan's rule and the quantity the limit was computed for (docs/seats.md)."],
                "seats": ["oneOf": [OpenAPIDocument.ref("SeatUse"), ["type": "null"]],
                          "description": "Limit features with members holding seats: how many, and the excess over the limit (docs/seats.md)."],
            ]),
            "FeatureCreditUse": object(required: ["pool", "cost", "balance", "available"], [
                "pool": string("The credit pool."),
                "cost": ["type": "integer", "description": "Credits per unit."],
                "balance": ["type": "integer", "description": "Live blocks' remaining credits less debt."],
                "available": ["type": "integer", "description": "What can still be spent: balance − held − the pool's overage floor."],
            ]),
            "EntitlementSnapshot": object(required: ["format_version", "customer", "generated_at", "plan_source", "entitlements", "rate_limits"], [
                "format_version": ["type": "integer", "const": 1],
                "customer": string("The customer's external id."),
                "generated_at": dateTime(),
                "plan": nullable(string("The plan whose entitlements apply.")),
                "plan_source": cases(EntitlementSource.self),
                "subscription_status": ["oneOf": [subscriptionStatus, ["type": "null"]]],
                "entitlements": ["type": "object", "additionalProperties": OpenAPIDocument.ref("FeatureEntitlement")],
                "rate_limits": ["type": "array", "items": OpenAPIDocument.ref("RateLimitPolicy"),
                                "description": "The rate-limit policies of the effective plan, as raised by the entitlements."],
            ]),
            "CheckResult": object(required: ["allowed", "feature"], [
                "allowed": ["type": "boolean"],
                "reason": nullable(string("feature_not_in_plan, limit_exceeded, insufficient_credits, no_active_subscription, invalid_quantity, not_assigned (a check for a member), …")),
                "feature": string("Feature key."),
                "value": ["oneOf": [OpenAPIDocument.ref("EntitlementValue"), ["type": "null"]]],
                "used": ["type": ["integer", "null"]],
                "remaining": ["type": ["integer", "null"]],
                "resets_at": nullable(dateTime()),
                "credits": ["oneOf": [OpenAPIDocument.ref("FeatureCreditUse"), ["type": "null"]],
                            "description": "Features priced in credits (docs/credits.md): the price and the customer's balance."],
            ]),
            "RateLimitRequest": object(required: ["customer"], [
                "customer": externalID,
                "policy": string("One of the plan's policy names; omitted: every policy of the customer's plan."),
                "cost": ["type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1],
            ]),
            "RateLimitDecision": object(required: ["allowed", "customer", "cost", "policies"], [
                "allowed": ["type": "boolean"],
                "customer": ["type": "string"],
                "cost": ["type": "integer"],
                "policies": ["type": "array", "items": object(
                    required: ["name", "allowed", "limit", "window_seconds", "burst", "remaining", "reset_seconds"], [
                    "name": ["type": "string"], "allowed": ["type": "boolean"], "limit": ["type": "integer"],
                    "window_seconds": ["type": "integer"], "burst": ["type": "integer"], "remaining": ["type": "integer"],
                    "reset_seconds": ["type": "integer", "description": "Seconds until the key is fully rested."],
                    "retry_after_seconds": ["type": ["integer", "null"], "description": "When denied: seconds to wait (null: the cost exceeds the burst)."],
                ])],
            ]),
            "UsageRequest": object(required: ["customer", "feature"], [
                "customer": externalID,
                "feature": featureKey,
                "quantity": ["type": "integer", "minimum": 1, "maximum": 1_000_000_000_000, "default": 1],
                "idempotency_key": ["type": "string", "minLength": 1, "maxLength": 255,
                                    "description": "A repeat with the same key (per customer and feature) counts nothing."],
            ]),
            "UsageOutcome": object(required: ["allowed", "duplicate", "feature", "quantity", "used"], [
                "allowed": ["type": "boolean"],
                "reason": nullable(string("Why not: limit_exceeded, insufficient_credits, feature_not_in_plan, no_active_subscription.")),
                "duplicate": ["type": "boolean", "description": "The idempotency key was seen before; nothing new was counted."],
                "feature": ["type": "string"],
                "quantity": ["type": "integer"],
                "used": ["type": "integer", "description": "Usage in the current window."],
                "remaining": ["type": ["integer", "null"]],
                "resets_at": nullable(dateTime()),
                "credits": ["oneOf": [OpenAPIDocument.ref("FeatureCreditUse"), ["type": "null"]],
                            "description": "Features priced in credits (docs/credits.md): the price and the balance after this use (before it, when denied)."],
            ]),
            "UsageBatchRequest": object(required: ["events"], [
                "events": ["type": "array", "minItems": 1, "maxItems": .integer(UsageBatchRequest.maximumEvents),
                           "description": "Each event is checked alone: an unknown customer or feature, a quantity out of range or a bad key refuses only that event.",
                           "items": object(required: ["customer", "feature"], [
                    "customer": string("The customer's external id."),
                    "feature": string("A metered feature's key."),
                    "quantity": ["type": "integer", "default": 1, "description": "1 to 1,000,000,000,000."],
                    "idempotency_key": string("A repeat with the same key (per customer and feature) counts nothing."),
                ])],
            ]),
            "UsageBatchResponse": object(required: ["results", "counted", "duplicate", "refused"], [
                "results": ["type": "array", "description": "One per event, in the request's order.", "items": object(required: ["status"], [
                    "status": cases(UsageBatchResult.Status.self),
                    "reason": nullable(string("When refused: the error code (unknown_customer, unknown_feature, invalid_request).")),
                    "message": nullable(string("When refused: what is wrong.")),
                    "used": ["type": ["integer", "null"], "description": "Usage in the event's window after it."],
                    "remaining": ["type": ["integer", "null"]],
                ])],
                "counted": ["type": "integer"], "duplicate": ["type": "integer"], "refused": ["type": "integer"],
            ]),
            "StripeEvent": object(required: ["id", "type", "created", "data"], [
                "id": string("Stripe's event id (`evt_…`); a repeat delivery is stored once."),
                "type": string("Event type, e.g. `customer.subscription.updated`; unknown types are stored and ignored."),
                "created": ["type": "integer", "description": "Unix seconds; orders events for the same object."],
                "api_version": nullable(string("The payload's API version.")),
                "data": object(required: ["object"], ["object": ["type": "object", "description": "The Stripe object."]]),
            ]),
            "WebhookReceipt": object(required: ["received", "duplicate", "id"], [
                "received": ["type": "boolean", "const": true],
                "duplicate": ["type": "boolean", "description": "The event id was already stored; it is applied once."],
                "id": string("The event id."),
            ]),
            "StripeEventRecord": object(required: ["id", "type", "created", "status", "attempts", "next_attempt_at", "received_at"], [
                "id": string("Stripe's event id."),
                "type": string("Event type."),
                "object_id": nullable(string("`data.object.id`.")),
                "created": dateTime(),
                "status": merged(cases(StripeEventStatus.self), [
                           "description": "unsupported_version: rendered at a Stripe API version newer than Tollgate reads; stored, not applied (replay it after an upgrade)."]),
                "attempts": ["type": "integer", "minimum": 0],
                "next_attempt_at": dateTime(),
                "last_error": nullable(string("Why the last attempt failed.")),
                "note": nullable(string("How it was applied when not plainly: stale (older than the object's newest event), nothing to change, ….")),
                "received_at": dateTime(),
                "applied_at": nullable(dateTime()),
            ]),
            "StripeEventDetail": ["allOf": [OpenAPIDocument.ref("StripeEventRecord"), object(required: ["payload"], [
                "payload": ["type": "object", "description": "The event exactly as Stripe sent it."],
            ])]],
            "StripeEventList": list(of: "StripeEventRecord"),
        ].merging(billing) { first, _ in first }.merging(outbox) { first, _ in first }
    }


    /// The bodies of the Stripe billing endpoints (``BillingRoutes``).
    static var billing: [String: JSONValue] {
        [
            "PlanPushReport": object(required: ["dry_run", "changes", "notes", "entitlements_available"], [
                "dry_run": ["type": "boolean"],
                "changes": ["type": "array", "items": object(required: ["action", "object", "key", "detail"], [
                    "action": ["type": "string", "enum": ["create", "update", "archive", "attach", "detach"]],
                    "object": ["type": "string", "enum": ["product", "price", "feature", "product_feature", "meter"]],
                    "key": string("Plan key, price lookup key (`tollgate:<plan>:<interval>:<currency>`, `tollgate:<plan>:metered:<feature>:<interval>:<currency>`), feature key (of a meter too), or `plan → feature`."),
                    "stripe_id": nullable(string("The Stripe object written; null for a create in a dry run.")),
                    "detail": string("The values that matter, in words."),
                ])],
                "notes": ["type": "array", "items": ["type": "string"],
                          "description": "What was left alone and why (draft plans, plans without prices, entitlements API not available)."],
                "entitlements_available": ["type": "boolean", "description": "False when Stripe answered the Entitlements API with 404."],
            ]),
            "CheckoutRequest": object(required: ["plan", "success_url", "cancel_url"], [
                "plan": string("Plan key; must be active and pushed (`tollgate plans push`)."),
                "interval": merged(cases(BillingInterval.self), ["description": "Default: monthly if the plan has it, else yearly."]),
                "currency": string("Needed only when the plan has prices in several currencies."),
                "quantity": ["type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1],
                "success_url": merged(httpURL, ["description": "Where Stripe sends the customer after paying."]),
                "cancel_url": merged(httpURL, ["description": "Where Stripe sends the customer on cancel."]),
            ]),
            "CheckoutSession": object(required: ["id", "url"], [
                "id": string("`cs_…`"),
                "url": string("Stripe's hosted checkout page: redirect the customer there."),
            ]),
            "PortalRequest": object(required: ["return_url"], ["return_url": merged(httpURL, ["description": "Where the portal sends the customer back."])]),
            "PortalSession": object(required: ["url"], [
                "id": nullable(string("`bps_…`")),
                "url": string("The billing portal: redirect the customer there."),
            ]),
            "PlanChangeRequest": merged(["minProperties": 1, "description": "A plan, a quantity, or both."], object(required: [], [
                "plan": string("New plan key (active, pushed). Omitted: only the quantity changes."),
                "interval": merged(cases(BillingInterval.self), ["description": "Default: the current price's interval."]),
                "quantity": ["type": "integer", "minimum": 1, "maximum": 1_000_000],
                "proration_behavior": merged(cases(ProrationBehavior.self), ["description": "Omitted: not sent; Stripe's default, create_prorations, applies."]),
            ])),
            "CancelRequest": object(required: ["at_period_end"], [
                "at_period_end": ["type": "boolean", "description": "true: cancel_at_period_end (access until the period ends); false: cancel now."],
            ]),
            "SubscriptionUpdate": object(required: ["stripe_subscription_id", "status", "cancel_at_period_end", "local_state"], [
                "stripe_subscription_id": string("`sub_…`"),
                "status": string("Stripe's status after the change."),
                "lookup_key": nullable(string("The first item's price lookup key.")),
                "quantity": ["type": ["integer", "null"]],
                "cancel_at_period_end": ["type": "boolean"],
                "local_state": ["type": "string", "const": "pending_webhook",
                                "description": "The local subscription changes when Stripe's webhook for this change is applied."],
            ]),
        ]
    }

    static let subscriptionStatus = cases(SubscriptionStatus.self)

    /// A string schema whose values are `type`'s cases: the Swift type is the one declaration.
    static func cases<Value: CaseIterable & RawRepresentable>(_ type: Value.Type) -> JSONValue where Value.RawValue == String {
        ["type": "string", "enum": .array(Value.allCases.map { .string($0.rawValue) })]
    }

    static func string(_ description: String) -> JSONValue { ["type": "string", "description": .string(description)] }

    // MARK: The input rules the server checks, as schema (each written once, used wherever the value is taken)

    /// `CustomerChanges.validate`: 1–255 printable ASCII characters (0x21–0x7E) but '/'.
    static let externalID: JSONValue = ["type": "string", "pattern": "^[!-.0-~]{1,255}$",
                                        "description": "The SaaS's own id for the customer: 1–255 printable ASCII characters, no space or '/'."]
    /// `FeatureKey.isValid`: dotted segments of a-z, 0-9 and _, at most 100 characters.
    static let featureKey: JSONValue = ["type": "string", "maxLength": 100, "pattern": "^[a-z0-9_]+(\\.[a-z0-9_]+)*$",
                                        "description": "A feature key: lowercase dotted segments of a-z, 0-9 and _."]
    /// `WireJSON.acceptedInstants`: RFC 3339, years 1970 through 9999.
    static let instant: JSONValue = ["type": "string", "format": "date-time", "pattern": "^(19[7-9][0-9]|[2-9][0-9]{3})-",
                                     "description": "RFC 3339 date-time from 1970-01-01T00:00:00Z through 9999-12-31T23:59:59Z."]
    /// `StripeBilling.validateURL`: an absolute http(s) URL with a host, at most 2,048 characters.
    static let httpURL: JSONValue = ["type": "string", "maxLength": 2048, "pattern": "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?$"]
    /// `MailAddress.isValid` (after trimming): a local part, '@', a domain, no control character,
    /// space, '<', '>' or ','; at most 320 characters.
    static let emailAddress: JSONValue = ["type": "string", "maxLength": 320, "pattern": "^[^\\x00-\\x20\\x7F<>,]+@[^\\x00-\\x20\\x7F<>,@]+$"]

    /// `schema` with `extra`'s members added.
    static func merged(_ schema: JSONValue, _ extra: JSONValue) -> JSONValue { schema.merged(with: extra) }
    static func dateTime() -> JSONValue { ["type": "string", "format": "date-time"] }

    /// `schema` that also takes null (an `enum` lists null too).
    static func nullable(_ schema: JSONValue) -> JSONValue {
        guard case .object(var members) = schema, case .string(let type)? = members["type"] else { return schema }
        members["type"] = [.string(type), "null"]
        if case .array(let values)? = members["enum"] { members["enum"] = .array(values + [.null]) }
        return .object(members)
    }

    static func object(required: [String], _ properties: [String: JSONValue]) -> JSONValue {
        ["type": "object", "required": .array(required.map { .string($0) }), "properties": .object(properties)]
    }

    /// A cursor-paginated list: `data` and `has_more`.
    static func list(of item: String) -> JSONValue {
        object(required: ["data", "has_more"], [
            "data": ["type": "array", "items": OpenAPIDocument.ref(item)],
            "has_more": ["type": "boolean"],
        ])
    }
}
