import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer

/// A customer's subscription: set directly here (Stripe's webhooks drive the same code).
enum SubscriptionRoutes {
    static func endpoints(repository: SubscriptionRepository) -> [Endpoint] {
        [
            Endpoint(.GET, "/v1/customers/{external_id}/subscription", scope: .read, documentation: .init(
                "getSubscription", summary: "The customer's current subscription", tag: "Subscriptions", responseSchema: "Subscription")
            ) { request, _ in
                let customer = try request.pathParameter("external_id")
                guard let subscription = try repository.current(customer: customer) else {
                    throw DomainError.noSubscription(customer: customer)
                }
                return try .json(subscription)
            },
            Endpoint(.POST, "/v1/customers/{external_id}/subscription", scope: .write, documentation: .init(
                "setSubscription", summary: "Set the customer's subscription (plan, status, quantity, period); kept in the history",
                tag: "Subscriptions", requestSchema: "SubscriptionChange", responseSchema: "Subscription")
            ) { request, _ in
                let change = try request.decodeJSON(SubscriptionChange.self)
                return try .json(try repository.set(customer: try request.pathParameter("external_id"), change, source: "api"))
            },
            Endpoint(.GET, "/v1/customers/{external_id}/subscription/history", scope: .read, documentation: .init(
                "subscriptionHistory", summary: "Every state the customer's subscription went through, oldest first",
                tag: "Subscriptions", responseSchema: "SubscriptionHistory")
            ) { request, _ in
                try .json(Page(all: try repository.history(customer: try request.pathParameter("external_id"))))
            },
        ]
    }
}
