import Foundation
import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer

/// Stripe's webhook endpoint (no bearer key: the signature authenticates it) and the admin API
/// over the stored events.
enum WebhookRoutes {
    static func endpoints(inbox: WebhookInbox, events: StripeEventStore) -> [Endpoint] {
        [
            Endpoint(.POST, "/webhooks/stripe", scope: nil, documentation: .init(
                "receiveStripeEvent",
                summary: "Stripe webhook endpoint: verifies Stripe-Signature on the raw body, stores the event once by id, answers at once "
                    + "(applied later, in order, exactly once). 400 invalid_signature or invalid_event stores nothing; 409 "
                    + "webhooks_not_configured without TOLLGATE_STRIPE_WEBHOOK_SECRET; 503 when the store is down (Stripe retries either).",
                tag: "Webhooks", requestSchema: "StripeEvent", responseSchema: "WebhookReceipt", errors: [409, 503],
                headers: [.init("Stripe-Signature", "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">[,v1=…]", required: true)])
            ) { request, _ in
                try .json(try inbox.receive(payload: request.body, signatureHeader: request.headers["Stripe-Signature"]))
            },
            Endpoint(.GET, "/v1/webhooks/events", scope: .admin, documentation: .init(
                "listStripeEvents", summary: "List stored Stripe events, newest received first", tag: "Webhooks",
                query: Pagination.parameters(cursor: "Return events after this event id") + [
                    .init("status", "Only events with this status", schema: Schemas.cases(StripeEventStatus.self)),
                ],
                responseSchema: "StripeEventList")
            ) { request, _ in
                try .json(try events.list(status: try request.statusFilter(StripeEventStatus.self), page: try request.pageRequest()))
            },
            Endpoint(.GET, "/v1/webhooks/events/{id}", scope: .admin, documentation: .init(
                "getStripeEvent", summary: "One stored Stripe event with its payload as received", tag: "Webhooks",
                responseSchema: "StripeEventDetail")
            ) { request, _ in
                let id = try request.pathParameter("id")
                guard let (record, payload) = try events.find(id: id) else { throw DomainError.notFound("event \(id)") }
                return try .json(record, embedding: payload, as: "payload")
            },
            Endpoint(.POST, "/v1/webhooks/events/{id}/replay", scope: .admin, documentation: .init(
                "replayStripeEvent", summary: "Make a stored event pending again with no attempts (it is applied again, behind the ordering guard)",
                tag: "Webhooks", responseSchema: "StripeEventRecord")
            ) { request, _ in
                try .json(try events.replay(id: try request.pathParameter("id")))
            },
        ]
    }
}
