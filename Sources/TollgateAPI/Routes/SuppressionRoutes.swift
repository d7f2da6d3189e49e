import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer
import TollgateOutbox

/// The admin API over the mail suppression list.
enum SuppressionRoutes {
    static func endpoints(suppressions: SuppressionList) -> [Endpoint] {
        [
            Endpoint(.GET, "/v1/suppressions", scope: .admin, documentation: .init(
                "listSuppressions", summary: "List suppressed addresses, alphabetically", tag: "Outbox",
                query: Pagination.parameters(cursor: "Return addresses after this address"), responseSchema: "SuppressionList")
            ) { request, _ in
                try .json(try suppressions.list(page: try request.pageRequest()))
            },
            Endpoint(.POST, "/v1/suppressions", scope: .admin, documentation: .init(
                "addSuppression",
                summary: "Put an address on the suppression list; 201 when added, 200 when it was already there (the first entry is kept)",
                tag: "Outbox", requestSchema: "SuppressionRequest", successStatus: 201, responseSchema: "Suppression",
                otherResponses: [200: "Suppression"])
            ) { request, _ in
                let body = try request.decodeJSON(AddRequest.self)
                var reason = SuppressionReason.manual
                if let text = body.reason {
                    guard let parsed = SuppressionReason(rawValue: text) else {
                        throw DomainError.invalid("reason", "must be one of \(SuppressionReason.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    reason = parsed
                }
                let (entry, added) = try suppressions.add(body.address, reason: reason, note: body.note)
                return try .json(entry, status: added ? 201 : 200)
            },
            Endpoint(.DELETE, "/v1/suppressions/{address}", scope: .admin, documentation: .init(
                "removeSuppression", summary: "Take an address off the suppression list (404 when it was not on it)", tag: "Outbox",
                successStatus: 204, responseSchema: nil)
            ) { request, _ in
                let address = try request.pathParameter("address")
                guard try suppressions.remove(address) else { throw DomainError.notFound("suppression \(address)") }
                return .noContent()
            },
        ]
    }

    struct AddRequest: Decodable {
        var address: String
        var reason: String?
        var note: String?
    }
}
