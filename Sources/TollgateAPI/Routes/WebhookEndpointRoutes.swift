import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer
import TollgateWebhookEndpoints

/// The admin API over webhook endpoints (issue 15; `docs/events.md`, "Webhook endpoints"):
/// register, list, show, change, delete, rotate the secret, send a test event, list the
/// deliveries, redeliver one.
enum WebhookEndpointRoutes {
    static func endpoints(repository: WebhookEndpointRepository) -> [Endpoint] {
        [
            Endpoint(.POST, "/v1/webhook-endpoints", scope: .admin, documentation: .init(
                "createWebhookEndpoint",
                summary: "Register an endpoint for events; the answer holds its signing secret, shown this once",
                tag: "Webhook endpoints", requestSchema: "WebhookEndpointRequest", successStatus: 201, responseSchema: "WebhookEndpointWithSecret")
            ) { request, _ in
                try .json(try repository.create(try request.decodeJSON(WebhookEndpointRequest.self)), status: 201)
            },
            Endpoint(.GET, "/v1/webhook-endpoints", scope: .admin, documentation: .init(
                "listWebhookEndpoints", summary: "Webhook endpoints, newest first", tag: "Webhook endpoints",
                query: Pagination.parameters(cursor: "Return endpoints after this endpoint id"), responseSchema: "WebhookEndpointList")
            ) { request, _ in
                try .json(try repository.list(page: try request.pageRequest()))
            },
            Endpoint(.GET, "/v1/webhook-endpoints/{id}", scope: .admin, documentation: .init(
                "getWebhookEndpoint", summary: "One webhook endpoint (never its secret)", tag: "Webhook endpoints", responseSchema: "WebhookEndpoint")
            ) { request, _ in
                try .json(try repository.get(id: try request.pathParameter("id")))
            },
            Endpoint(.PATCH, "/v1/webhook-endpoints/{id}", scope: .admin, documentation: .init(
                "updateWebhookEndpoint",
                summary: "Change an endpoint's url, events or description, or disable (enabled: false) or enable it",
                tag: "Webhook endpoints", requestSchema: "WebhookEndpointChanges", responseSchema: "WebhookEndpoint")
            ) { request, _ in
                try .json(try repository.update(id: try request.pathParameter("id"), try request.decodeJSON(WebhookEndpointChanges.self)))
            },
            Endpoint(.DELETE, "/v1/webhook-endpoints/{id}", scope: .admin, documentation: .init(
                "deleteWebhookEndpoint", summary: "Delete an endpoint and its deliveries", tag: "Webhook endpoints",
                successStatus: 204, responseSchema: nil)
            ) { request, _ in
                try repository.delete(id: try request.pathParameter("id"))
                return .noContent()
            },
            Endpoint(.POST, "/v1/webhook-endpoints/{id}/rotate-secret", scope: .admin, documentation: .init(
                "rotateWebhookEndpointSecret",
                summary: "A new signing secret, shown this once; the previous one keeps signing beside it for 24 hours",
                tag: "Webhook endpoints", responseSchema: "WebhookEndpointWithSecret")
            ) { request, _ in
                try .json(try repository.rotateSecret(id: try request.pathParameter("id")))
            },
            Endpoint(.POST, "/v1/webhook-endpoints/{id}/test", scope: .admin, documentation: .init(
                "testWebhookEndpoint",
                summary: "Queue a signed `webhook_endpoint.test` event to the endpoint, due now; answers the delivery",
                tag: "Webhook endpoints", successStatus: 202, responseSchema: "WebhookDelivery")
            ) { request, _ in
                try .json(try repository.sendTest(id: try request.pathParameter("id")), status: 202)
            },
            Endpoint(.GET, "/v1/webhook-endpoints/{id}/deliveries", scope: .admin, documentation: .init(
                "listWebhookDeliveries", summary: "The endpoint's deliveries, newest first: status, attempts, response code, latency",
                tag: "Webhook endpoints",
                query: Pagination.parameters(cursor: "Return deliveries after this delivery id") + [
                    .init("status", "Only deliveries with this status", schema: Schemas.cases(WebhookDeliveryStatus.self)),
                ],
                responseSchema: "WebhookDeliveryList")
            ) { request, _ in
                try .json(try repository.deliveries(
                    endpoint: try request.pathParameter("id"), status: try request.statusFilter(WebhookDeliveryStatus.self),
                    page: try request.pageRequest()))
            },
            Endpoint(.POST, "/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/redeliver", scope: .admin, documentation: .init(
                "redeliverWebhookDelivery",
                summary: "Send a delivery's event again, due now with its retries started afresh; 409 while it is being sent",
                tag: "Webhook endpoints", successStatus: 202, responseSchema: "WebhookDelivery", errors: [409])
            ) { request, _ in
                try .json(try repository.redeliver(endpoint: try request.pathParameter("id"), delivery: try request.pathParameter("delivery_id")),
                          status: 202)
            },
        ]
    }
}
