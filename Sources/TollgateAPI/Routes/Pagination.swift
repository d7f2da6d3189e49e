import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer
import TollgateBase
import TollgateWire

extension HTTPRequest {
    /// The `limit` and `starting_after` query parameters as a validated page request.
    func pageRequest() throws -> PageRequest {
        var limit: Int?
        if let text = queryValue("limit") {
            guard let value = Int(text) else {
                throw HTTPError.badRequest("limit: must be a whole number", code: "invalid_request", details: [.init(field: "limit", issue: "must be a whole number")])
            }
            limit = value
        }
        // An empty cursor is no cursor: the first page.
        return try PageRequest(limit: limit, startingAfter: queryValue("starting_after").flatMap { $0.isEmpty ? nil : $0 })
    }
}

/// The query parameters of every list.
enum Pagination {
    static func parameters(cursor: String) -> [OperationDocumentation.QueryParameter] {
        [
            .init("limit", "Page size, 1–100 (default 20)", schema: ["type": "integer", "minimum": 1, "maximum": 100]),
            .init("starting_after", cursor),
        ]
    }
}
