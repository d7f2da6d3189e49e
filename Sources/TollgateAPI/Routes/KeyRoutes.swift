import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer

/// Admin API over API keys. Keys are created with the CLI only (the secret is shown once,
/// on the operator's terminal); the API lists, shows and revokes them, never showing secrets.
enum KeyRoutes {
    static func endpoints(repository: APIKeyRepository) -> [Endpoint] {
        [
            Endpoint(.GET, "/v1/keys", scope: .admin, documentation: .init(
                "listKeys", summary: "List API keys (never their secrets)", tag: "Keys",
                query: Pagination.parameters(cursor: "Return keys after this key id"),
                responseSchema: "APIKeyList")
            ) { request, _ in
                try .json(try repository.list(page: try request.pageRequest()))
            },
            Endpoint(.GET, "/v1/keys/{id}", scope: .admin, documentation: .init(
                "getKey", summary: "Show one API key", tag: "Keys", responseSchema: "APIKey")
            ) { request, _ in
                let id = try request.pathParameter("id")
                guard let key = try repository.find(id: id) else { throw DomainError.notFound("api key \(id)") }
                return try .json(key)
            },
            Endpoint(.DELETE, "/v1/keys/{id}", scope: .admin, documentation: .init(
                "revokeKey", summary: "Revoke an API key (idempotent); it stops working within the key cache time", tag: "Keys",
                responseSchema: "APIKey")
            ) { request, _ in
                try .json(try repository.revoke(id: try request.pathParameter("id")))
            },
        ]
    }
}
