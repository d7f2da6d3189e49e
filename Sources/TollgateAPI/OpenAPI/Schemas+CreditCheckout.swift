import TollgateBase

/// The bodies of the credit checkout and top-up endpoints (``CreditCheckoutRoutes``).
extension Schemas {
    static var creditCheckout: [String: JSONValue] {
        let poolKey: JSONValue = ["type": "string", "minLength": 1, "maxLength": 64, "description": "A credit pool (`credit_pools[].key`)."]
        let packKey: JSONValue = ["type": "string", "minLength": 1, "maxLength": 64, "description": "A pack of the pool (`packs[].key`)."]
        let credits: JSONValue = ["type": "integer", "minimum": 0, "maximum": 1_000_000_000_000]
        return [
            "CreditCheckoutRequest": object(required: ["pool", "pack", "success_url", "cancel_url"], [
                "pool": poolKey,
                "pack": packKey,
                "success_url": merged(httpURL, ["description": "Where Stripe sends the customer after paying."]),
                "cancel_url": merged(httpURL, ["description": "Where Stripe sends the customer on cancel."]),
            ]),
            "CreditTopUpRequest": object(required: ["pool", "threshold", "pack", "enabled"], [
                "pool": poolKey,
                "threshold": merged(credits, ["description": "Charge when the pool's available credits fall below this."]),
                "pack": merged(packKey, ["description": "The pack charged at each crossing below the threshold."]),
                "enabled": ["type": "boolean"],
            ]),
            "CreditTopUp": object(required: ["pool", "enabled", "threshold", "pack", "armed", "updated_at"], [
                "pool": poolKey,
                "enabled": ["type": "boolean"],
                "threshold": credits,
                "pack": packKey,
                "armed": ["type": "boolean", "description": .string("Whether the next crossing below the threshold charges: false once charged, "
                    + "until the balance is seen at or above the threshold again.")],
                "last_attempt_at": nullable(dateTime()),
                "last_status": nullable(["type": "string", "enum": ["pending", "succeeded", "processing", "requires_action", "failed"]]),
                "last_error": nullable(string("Why the last charge failed (Stripe's code and message).")),
                "last_payment_intent": nullable(string("`pi_…` of the last charge.")),
                "updated_at": dateTime(),
            ]),
            "CreditTopUpList": list(of: "CreditTopUp"),
        ]
    }
}
