import TollgateBase
import TollgateEntitlements

/// The bodies of the credits endpoints (``CreditRoutes``; docs/credits.md).
extension Schemas {
    static var credits: [String: JSONValue] {
        let amount: JSONValue = ["type": "integer", "minimum": 1, "maximum": .integer(Int(Catalog.maximumCredits))]
        let reason: JSONValue = ["type": "string", "minLength": 1, "maxLength": .integer(CreditReason.maximumLength)]
        let idempotencyKey: JSONValue = ["type": "string", "minLength": 1, "maxLength": 255]
        return [
            "CreditBlock": object(
                required: ["id", "pool", "source", "amount", "remaining", "priority", "effective_at", "reference", "created_at"], [
                "id": string("`cb_…`"),
                "pool": string("The credit pool."),
                "source": cases(CreditSource.self),
                "amount": ["type": "integer", "minimum": 1, "description": "The credits the block was added with."],
                "remaining": ["type": "integer", "minimum": 0, "description": "What is left of it."],
                "priority": ["type": "integer", "description": "Burn order: smaller first (allowance 10, promotion 20, purchase 30 unless told)."],
                "effective_at": dateTime(),
                "expires_at": nullable(dateTime()),
                "reference": string("What added it (a grant's idempotency key, …): at most one block per customer, pool, source and reference."),
                "reason": nullable(string("Why it was given.")),
                "created_at": dateTime(),
            ]),
            "CreditAccount": object(required: ["pool", "balance", "held", "debt", "available", "blocks"], [
                "pool": string("The credit pool."),
                "balance": ["type": "integer", "description": "Live blocks' remaining credits less debt."],
                "held": ["type": "integer", "minimum": 0, "description": "Reserved by open holds."],
                "debt": ["type": "integer", "minimum": 0, "description": "Spent beyond the blocks (overage), repaid first from the next credits added."],
                "available": ["type": "integer", "description": "What can be spent: balance − held − the pool's overage floor."],
                "blocks": ["type": "array", "items": OpenAPIDocument.ref("CreditBlock"), "description": "The live blocks, in burn order."],
            ]),
            "CreditAccountList": list(of: "CreditAccount"),
            "CreditLedgerEntry": object(
                required: ["id", "pool", "seq", "amount", "held_change", "cause", "balance_after", "held_after", "created_at"], [
                "id": string("The entry's id: the ledger's cursor (`starting_after`)."),
                "pool": string("The credit pool."),
                "seq": ["type": "integer", "minimum": 1, "description": "The account's entries numbered 1, 2, 3, …"],
                "block_id": nullable(string("The block it touched (none for debt and holds).")),
                "amount": ["type": "integer", "description": "The change to the balance, signed."],
                "held_change": ["type": "integer", "description": "The change to what holds reserve, signed."],
                "cause": cases(CreditCause.self),
                "reference": nullable(string("What caused it: the usage event, the hold, the grant.")),
                "balance_after": ["type": "integer"],
                "held_after": ["type": "integer", "minimum": 0],
                "created_at": dateTime(),
            ]),
            "CreditLedgerList": list(of: "CreditLedgerEntry"),
            "CreditHold": object(required: ["id", "customer", "pool", "amount", "status", "expires_at", "created_at"], [
                "id": string("`chd_…`"),
                "customer": string("The customer's external id."),
                "pool": string("The credit pool."),
                "amount": ["type": "integer", "minimum": 1, "description": "The credits reserved."],
                // CreditHold.Status's cases.
                "status": ["type": "string", "enum": ["open", "committed", "released", "expired"]],
                "settled_amount": ["type": ["integer", "null"], "minimum": 0, "description": "Committed holds: what was spent."],
                "reason": nullable(string("What the credits are held for.")),
                "expires_at": dateTime(),
                "created_at": dateTime(),
                "settled_at": nullable(dateTime()),
            ]),
            "CreditGrantRequest": object(required: ["pool", "amount", "reason"], [
                "pool": string("A credit pool of the catalog (else 400)."),
                "amount": amount,
                "reason": merged(reason, ["description": "Why (trimmed)."]),
                "expires_at": merged(instant, ["description": "In the future (else 400); omitted: never expires."]),
                "priority": ["type": "integer", "minimum": 0, "maximum": 1000, "description": "Burn order, smaller first; default 20 (promotion)."],
                "idempotency_key": merged(idempotencyKey, ["description": "A repeat with the same key (per customer and pool) adds nothing and answers the first block."]),
            ]),
            "CreditHoldRequest": object(required: ["pool", "amount"], [
                "pool": string("A credit pool of the catalog (else 400)."),
                "amount": amount,
                "ttl_seconds": ["type": "integer", "minimum": 1, "maximum": .integer(Int(CreditStore.maximumHold)),
                                "default": .integer(Int(CreditStore.defaultHold)), "description": "How long the hold lasts before it returns by itself."],
                "reason": merged(reason, ["description": "What the credits are held for (trimmed)."]),
                "idempotency_key": merged(idempotencyKey, ["description": "A repeat with the same key (per customer and pool) answers the first hold."]),
            ]),
            "CreditCommitRequest": object(required: ["amount"], [
                "amount": ["type": "integer", "minimum": 0, "maximum": .integer(Int(Catalog.maximumCredits)),
                           "description": "What is spent: at most the hold's amount (else 400); the rest returns."],
            ]),
        ]
    }
}
