import Foundation
import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer
import TollgateOutbox

/// The admin API over queued mail: list, show, retry, purge dead.
enum OutboxRoutes {
    static func endpoints(outbox: OutboxStore) -> [Endpoint] {
        [
            Endpoint(.GET, "/v1/outbox", scope: .admin, documentation: .init(
                "listOutboxMessages", summary: "List queued mail, newest first", tag: "Outbox",
                query: Pagination.parameters(cursor: "Return messages after this message id") + [
                    .init("status", "Only mail with this status", schema: Schemas.cases(OutboxStatus.self)),
                ],
                responseSchema: "OutboxMessageList")
            ) { request, _ in
                try .json(try outbox.list(status: try request.statusFilter(OutboxStatus.self), page: try request.pageRequest()))
            },
            Endpoint(.GET, "/v1/outbox/{id}", scope: .admin, documentation: .init(
                "getOutboxMessage", summary: "One queued mail with its template data", tag: "Outbox", responseSchema: "OutboxMessageDetail")
            ) { request, _ in
                let id = try request.pathParameter("id")
                guard let detail = try outbox.find(id: id) else { throw DomainError.notFound("message \(id)") }
                return try .json(detail.message, embedding: detail.data, as: "data")
            },
            Endpoint(.POST, "/v1/outbox/{id}/retry", scope: .admin, documentation: .init(
                "retryOutboxMessage",
                summary: "Queue a dead or suppressed mail again, due now with no attempts; 409 for mail that is pending, sending or sent",
                tag: "Outbox", responseSchema: "OutboxMessage", errors: [409])
            ) { request, _ in
                try .json(try outbox.retry(id: try request.pathParameter("id")))
            },
            Endpoint(.POST, "/v1/outbox/purge", scope: .admin, documentation: .init(
                "purgeOutboxMessages", summary: "Delete dead mail, optionally only what has been dead for more than older_than_days days",
                tag: "Outbox", requestSchema: "OutboxPurgeRequest", responseSchema: "OutboxPurgeResult")
            ) { request, _ in
                let purge = try request.decodeJSON(PurgeRequest.self)
                guard purge.status == OutboxStatus.dead.rawValue else { throw DomainError.invalid("status", "only dead mail can be purged") }
                var before = Date.distantFuture
                if let days = purge.olderThanDays {
                    guard (0...36_500).contains(days) else { throw DomainError.invalid("older_than_days", "must be from 0 to 36500") }
                    before = Date().addingTimeInterval(-Double(days) * 86_400)
                }
                return try .json(["purged": try outbox.purgeDead(before: before)])
            },
        ]
    }

    struct PurgeRequest: Decodable {
        var status: String
        var olderThanDays: Int?
    }
}
