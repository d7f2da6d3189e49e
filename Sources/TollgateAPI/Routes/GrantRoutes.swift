import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer

/// Per-customer overrides of single features.
enum GrantRoutes {
    static func endpoints(repository: GrantRepository) -> [Endpoint] {
        [
            Endpoint(.POST, "/v1/customers/{external_id}/grants", scope: .write, documentation: .init(
                "createGrant", summary: "Grant a customer a feature, a higher limit or extra quota, optionally until a time",
                tag: "Grants", requestSchema: "GrantRequest", successStatus: 201, responseSchema: "Grant")
            ) { request, context in
                let grantRequest = try request.decodeJSON(GrantRequest.self)
                let author = context.apiKey.map { "api key \($0.name)" } ?? "api"
                let grant = try repository.create(customer: try request.pathParameter("external_id"), grantRequest, grantedBy: author)
                return try .json(grant, status: 201)
            },
            Endpoint(.GET, "/v1/customers/{external_id}/grants", scope: .read, documentation: .init(
                "listGrants", summary: "The customer's grants, revoked and expired ones included", tag: "Grants", responseSchema: "GrantList")
            ) { request, _ in
                try .json(Page(all: try repository.list(customer: try request.pathParameter("external_id"))))
            },
            Endpoint(.DELETE, "/v1/customers/{external_id}/grants/{grant_id}", scope: .write, documentation: .init(
                "revokeGrant", summary: "Revoke a grant (idempotent)", tag: "Grants", responseSchema: "Grant")
            ) { request, _ in
                try .json(try repository.revoke(customer: try request.pathParameter("external_id"), grant: try request.pathParameter("grant_id")))
            },
        ]
    }
}
