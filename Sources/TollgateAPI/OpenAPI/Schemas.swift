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
                "scope": ["type": "string", "enum": ["read", "write", "admin"]],
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
                "external_id": string("The SaaS's own id; 1–255 printable ASCII characters, no spaces or '/'."),
                "email": string("Billing email; omitted keeps the current one."),
                "name": string("Display name; omitted keeps the current one."),
                "metadata": ["type": "object", "additionalProperties": ["type": "string"], "description": "Replaces the metadata when given (at most 50 keys)."],
            ]),
            "CustomerList": list(of: "Customer"),
        ]
    }

    static func string(_ description: String) -> JSONValue { ["type": "string", "description": .string(description)] }
    static func dateTime() -> JSONValue { ["type": "string", "format": "date-time"] }

    static func nullable(_ schema: JSONValue) -> JSONValue {
        guard case .object(var members) = schema, case .string(let type)? = members["type"] else { return schema }
        members["type"] = [.string(type), "null"]
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
