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
