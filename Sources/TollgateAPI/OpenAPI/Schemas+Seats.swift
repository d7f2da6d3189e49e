import TollgateBase
import TollgateEntitlements

/// The bodies of the seat endpoints (``SeatRoutes``; docs/seats.md), and the per-unit shapes the
/// catalog and the snapshot use.
extension Schemas {
    static var seats: [String: JSONValue] {
        let member: JSONValue = ["type": "string", "minLength": 1, "maxLength": .integer(SeatMember.maximumLength),
                                 "description": "The SaaS's id of the member (its user id): no control characters, no surrounding whitespace."]
        let limit: JSONValue = ["oneOf": [OpenAPIDocument.ref("EntitlementValue"), ["type": "null"]],
                                "description": "The effective limit (per-unit, plan or grant); null when the customer is not entitled."]
        return [
            "PerUnitEntitlement": object(required: ["per_unit"], [
                "per_unit": ["type": "integer", "minimum": 1, "description": "The limit each unit of the subscription's quantity adds."],
                "base": ["type": "integer", "minimum": 0, "default": 0, "description": "The limit at quantity 0."],
                "max": ["type": "integer", "minimum": 0, "description": "The cap; omitted: uncapped."],
            ]),
            "PerUnitBasis": object(required: ["per_unit", "base", "quantity"], [
                "per_unit": ["type": "integer"], "base": ["type": "integer"], "max": ["type": ["integer", "null"]],
                "quantity": ["type": "integer", "description": "The subscription's quantity the limit was computed for (0 for the default plan)."],
            ]),
            "SeatUse": object(required: ["assigned", "over_limit"], [
                "assigned": ["type": "integer", "minimum": 0, "description": "Members holding a seat."],
                "over_limit": ["type": "integer", "minimum": 0, "description": "How many more hold a seat than the limit allows (0: within it)."],
            ]),
            "SeatHolder": object(required: ["member", "assigned_at"], ["member": member, "assigned_at": dateTime()]),
            "SeatList": object(required: ["customer", "feature", "limit", "assigned", "over_limit", "data", "has_more"], [
                "customer": string("The customer's external id."),
                "feature": string("The limit feature."),
                "limit": limit,
                "assigned": ["type": "integer", "minimum": 0, "description": "Members holding a seat (all pages)."],
                "over_limit": ["type": "integer", "minimum": 0, "description": "assigned − limit when the limit fell below the holders, else 0."],
                "data": ["type": "array", "items": OpenAPIDocument.ref("SeatHolder"), "description": "The holders, by member id."],
                "has_more": ["type": "boolean"],
            ]),
            "SeatAssignRequest": object(required: ["member"], ["member": member]),
            "SeatAssignment": object(required: ["customer", "feature", "member", "assigned_at", "created", "assigned", "limit"], [
                "customer": string("The customer's external id."),
                "feature": string("The limit feature."),
                "member": member,
                "assigned_at": dateTime(),
                "created": ["type": "boolean", "description": "False when the member already held the seat (nothing changed)."],
                "assigned": ["type": "integer", "minimum": 1, "description": "Members holding a seat after the call."],
                "limit": limit,
            ]),
            "SeatEventData": object(required: ["member", "feature", "assigned", "limit"], [
                "member": member,
                "feature": string("The limit feature."),
                "assigned": ["type": "integer", "minimum": 0, "description": "Members holding a seat after the change."],
                "limit": limit,
            ]),
            "SeatOverLimitData": object(required: ["feature", "assigned", "limit", "over_limit"], [
                "feature": string("The limit feature."),
                "assigned": ["type": "integer", "minimum": 1],
                "limit": ["type": "integer", "minimum": 0, "description": "The limit now (0 when no longer entitled)."],
                "over_limit": ["type": "integer", "minimum": 1, "description": "assigned − limit."],
            ]),
        ]
    }
}
