import TollgateCore
package import TollgateEntitlements
package import TollgateHTTPServer
package import TollgateBase

/// What a handler knows about the caller beyond the request.
package struct RequestContext: Sendable {
    /// The verified API key, for endpoints that require one.
    package var apiKey: APIKey?
}

/// One API operation: its route, the scope it requires, its documentation and its handler.
///
/// The router and the OpenAPI document are both built from the one list of endpoints, so an
/// operation cannot be routed without being documented.
package struct Endpoint: Sendable {
    package typealias Handler = @Sendable (HTTPRequest, RequestContext) throws -> HTTPResponse

    package var method: HTTPMethod
    /// OpenAPI-style pattern: `/v1/keys/{id}`.
    package var path: String
    /// The scope a bearer key needs; nil for the unauthenticated operational endpoints.
    package var scope: APIKeyScope?
    /// False for handlers that never block (no store, no network): they run on the I/O thread.
    package var blocks: Bool
    package var documentation: OperationDocumentation
    package var handler: Handler

    package init(
        _ method: HTTPMethod, _ path: String, scope: APIKeyScope?, blocks: Bool = true,
        documentation: OperationDocumentation, handler: @escaping Handler
    ) {
        self.method = method
        self.path = path
        self.scope = scope
        self.blocks = blocks
        self.documentation = documentation
        self.handler = handler
    }
}

/// The parts of an OpenAPI operation that are not derived from the route itself.
package struct OperationDocumentation: Sendable {
    package struct QueryParameter: Sendable {
        package var name: String
        package var description: String
        package var schema: JSONValue
        package var required: Bool

        package init(_ name: String, _ description: String, schema: JSONValue = .object(["type": "string"]), required: Bool = false) {
            self.name = name
            self.description = description
            self.schema = schema
            self.required = required
        }
    }

    package struct HeaderParameter: Sendable {
        package var name: String
        package var description: String
        package var required: Bool

        package init(_ name: String, _ description: String, required: Bool = false) {
            self.name = name
            self.description = description
            self.required = required
        }
    }

    package var operationID: String
    package var summary: String
    package var tag: String
    package var query: [QueryParameter]
    /// Request headers the operation reads (beyond the standard ones).
    package var headers: [HeaderParameter]
    /// Error statuses the operation can answer beyond those derived from the route.
    package var errors: [Int]
    /// Name of the request body schema in `components.schemas`, if the operation takes a body.
    package var requestSchema: String?
    /// The success status and the name of its schema (nil for an empty or non-JSON body).
    package var successStatus: Int
    package var responseSchema: String?
    /// Media type of the success response when it is not JSON (`/metrics`).
    package var responseMediaType: String
    /// Statuses answered with a body other than the error body (or with none), beyond the success
    /// status: e.g. an upsert's 200 beside its 201, a 304 revalidation, a 429 that carries the
    /// decision. The schema name, or nil for no body.
    package var otherResponses: [Int: String?]

    package init(
        _ operationID: String, summary: String, tag: String, query: [QueryParameter] = [], requestSchema: String? = nil,
        successStatus: Int = 200, responseSchema: String?, responseMediaType: String = "application/json", errors: [Int] = [],
        headers: [HeaderParameter] = [], otherResponses: [Int: String?] = [:]
    ) {
        self.otherResponses = otherResponses
        self.errors = errors
        self.headers = headers
        self.operationID = operationID
        self.summary = summary
        self.tag = tag
        self.query = query
        self.requestSchema = requestSchema
        self.successStatus = successStatus
        self.responseSchema = responseSchema
        self.responseMediaType = responseMediaType
    }
}
