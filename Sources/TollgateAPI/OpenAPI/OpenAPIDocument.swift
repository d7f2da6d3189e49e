import Foundation
import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer
import TollgateWire
import TollgateBase

/// Builds the OpenAPI 3.1 document from the endpoint list and the schema catalogue.
enum OpenAPIDocument {
    static func build(endpoints: [Endpoint], version: String) -> JSONValue {
        var paths: [String: [String: JSONValue]] = [:]
        for endpoint in endpoints {
            paths[endpoint.path, default: [:]][endpoint.method.rawValue.lowercased()] = operation(endpoint)
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Tollgate",
                "version": .string(version),
                "description": "Billing, entitlements and integrations service. Errors use the body {\"error\": {\"code\", \"message\", \"details\"}}.",
            ],
            "servers": [["url": "/"]],
            "paths": .object(paths.mapValues { .object($0) }),
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "description": .string(securityDescription)]],
                "schemas": .object(schemas(closing: Set(endpoints.compactMap(\.documentation.requestSchema)))),
                "responses": .object(Dictionary(uniqueKeysWithValues: standardErrors.map { status, description in
                    (String(status), errorResponse(description))
                })),
            ],
        ]
    }

    /// How scopes read in each operation's security requirement.
    static let securityDescription = "An API key made with `tollgate keys create`. Each operation names the scope it requires "
        + "(`read`, `write` or `admin`); scopes are ordered, so a key of a higher scope may call it too (admin ⊇ write ⊇ read). "
        + "A missing or unknown key is 401; a key below the required scope is 403 `insufficient_scope`."

    /// Every schema; request bodies (`closing`) take no property they do not list, as the server
    /// refuses an unknown field (`parameter_unknown`).
    static func schemas(closing requestSchemas: Set<String>) -> [String: JSONValue] {
        var all = Schemas.all.merging(Schemas.connections) { first, _ in first }.merging(Schemas.events) { first, _ in first }
            .merging(Schemas.webhookEndpoints) { first, _ in first }.merging(Schemas.credits) { first, _ in first }
            .merging(Schemas.creditCheckout) { first, _ in first }.merging(Schemas.usageExport) { first, _ in first }.merging(Schemas.seats) { first, _ in first }
        for name in requestSchemas {
            guard case .object(var schema)? = all[name], schema["type"] == "object" else { continue }
            schema["additionalProperties"] = false
            all[name] = .object(schema)
        }
        return all
    }

    /// Errors any operation can answer, described once and referenced from each operation.
    static let standardErrors: [(Int, String)] = [
        (400, "Malformed request (invalid JSON, bad parameter)"),
        (401, "Missing or unknown API key"),
        (403, "The API key lacks the required scope"),
        (404, "No such resource"),
        (409, "Conflicts with the current state (here or in Stripe), or the feature is not configured on this instance (`stripe_not_configured`, `webhooks_not_configured`, `integrations_not_configured`: the message names the setting)"),
        (413, "Request body over the size limit"),
        (415, "Unsupported content type"),
        (422, "Request understood but refused"),
        (429, "Rate limited"),
        (500, "Internal error"),
        (502, "Stripe failed or refused Tollgate's request (error code stripe_error, with Stripe's type, code and request id in details)"),
        (503, "Unavailable (the store or a provider is down); retry later"),
    ]

    private static func errorResponse(_ description: String) -> JSONValue {
        ["description": .string(description), "content": ["application/json": ["schema": ref("Error")]]]
    }

    static func ref(_ schema: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(schema)")] }

    private static func operation(_ endpoint: Endpoint) -> JSONValue {
        let doc = endpoint.documentation
        var operation: [String: JSONValue] = [
            "operationId": .string(doc.operationID),
            "summary": .string(doc.summary),
            "tags": [.string(doc.tag)],
        ]
        var parameters: [JSONValue] = pathParameters(endpoint.path).map { name in
            ["name": .string(name), "in": "path", "required": true, "schema": pathParameterSchemas[name] ?? ["type": "string", "minLength": 1]]
        }
        parameters += doc.query.map { parameter in
            ["name": .string(parameter.name), "in": "query", "required": .bool(parameter.required),
             "description": .string(parameter.description), "schema": parameter.schema]
        }
        parameters += doc.headers.map { header in
            ["name": .string(header.name), "in": "header", "required": .bool(header.required), "description": .string(header.description),
             "schema": ["type": "string"]]
        }
        if endpoint.method == .POST, endpoint.scope != nil {
            parameters.append(["name": "Idempotency-Key", "in": "header", "required": false,
                               "description": .string("Makes a retry safe: the first response to this key (per API key) is replayed; the same key "
                                   + "with another body is a 422 idempotency_key_reused; one still running is a 409."),
                               "schema": ["type": "string", "minLength": 1, "maxLength": .integer(IdempotencyStore.maximumKeyLength)]])
        }
        // Any value is taken: a well-formed one (1–128 of A–Z a–z 0–9 . _ : -) is echoed, another is
        // replaced by a generated id, so no value is refused.
        parameters.append(["name": "X-Request-Id", "in": "header", "required": false,
                           "description": .string("Echoed in the response and in every log line when it is 1–128 characters of A–Z a–z 0–9 . _ : - ; "
                               + "otherwise (or when absent) a generated id is used instead."),
                           "schema": [:]])
        operation["parameters"] = .array(parameters)
        if let schema = doc.requestSchema {
            operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": ref(schema)]]]
        }
        var responses: [String: JSONValue] = [:]
        var success: [String: JSONValue] = ["description": "Success"]
        if let schema = doc.responseSchema {
            success["content"] = .object([doc.responseMediaType: ["schema": ref(schema)]])
        } else if doc.responseMediaType != "application/json" {
            success["content"] = .object([doc.responseMediaType: ["schema": ["type": "string"]]])
        }
        responses[String(doc.successStatus)] = .object(success)
        var errors = [400, 413, 500]
        if let scope = endpoint.scope {
            operation["security"] = [["bearer": [.string(scope.rawValue)]]]
            // The key is verified against the store: with the store down, any operation is a 503.
            errors += [401, 403, 429, 503]
        }
        if doc.requestSchema != nil { errors += [415, 422] }
        // Idempotency-Key: one still running is a 409, one reused with another request a 422.
        if endpoint.method == .POST, endpoint.scope != nil { errors += [409, 422].filter { !errors.contains($0) } }
        if endpoint.path.contains("{") { errors.append(404) }
        errors += doc.errors.filter { !errors.contains($0) }
        for status in errors.sorted() {
            responses[String(status)] = ["$ref": .string("#/components/responses/\(status)")]
        }
        for (status, schema) in doc.otherResponses {
            var response: [String: JSONValue] = ["description": .string(status == 304 ? "Not modified (If-None-Match matched the ETag)" : "See the summary")]
            if let schema { response["content"] = ["application/json": ["schema": ref(schema)]] }
            responses[String(status)] = .object(response)
        }
        operation["responses"] = .object(responses)
        return .object(operation)
    }

    /// Path parameters that name a value with rules of its own.
    static let pathParameterSchemas: [String: JSONValue] = [
        "external_id": Schemas.externalID,
        "feature": Schemas.featureKey,
        "address": Schemas.emailAddress,
    ]

    /// The `{name}` segments of a path pattern, in order.
    static func pathParameters(_ path: String) -> [String] {
        path.split(separator: "/").compactMap { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? String(segment.dropFirst().dropLast()) : nil
        }
    }

    /// The document as served: plain camelCase keys (unlike API bodies), sorted for stable output.
    static func encode(_ document: JSONValue) throws -> [UInt8] {
        Array(try WireJSON.encoder(keys: .verbatim).encode(document))
    }
}

extension JSONValue {
    /// An object with `other`'s members added (other wins); anything else is returned unchanged.
    func merged(with other: JSONValue) -> JSONValue {
        guard case .object(var members) = self, case .object(let extra) = other else { return self }
        for (key, value) in extra { members[key] = value }
        return .object(members)
    }
}
