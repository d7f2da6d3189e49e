import Foundation
import Synchronization
import TollgateHTTPServer
import TollgateLogging
import TollgateStripe

/// A Stripe account on a real socket (TollgateHTTPServer, 127.0.0.1, port 0) whose customers and
/// subscriptions a test sets and changes: `GET /v1/customers`, `GET /v1/subscriptions` (paged as
/// Stripe pages: `limit`, `starting_after`, `has_more`), `GET /v1/customers/{id}` and
/// `GET /v1/subscriptions/{id}` (404 for an unknown id — a removed customer is a deleted one — with
/// Stripe's error body). Objects are the current API shape (prices with
/// `lookup_key`, the period on the item). `failSubscriptionPage` makes that page (1-based) of the
/// subscription list answer 400 (not retried), to stop a sync part-way.
final class ScriptedStripeAccount: Sendable {
    private struct State {
        var customers: [(id: String, json: String)] = []
        var subscriptions: [(id: String, json: String)] = []
        var subscriptionPagesServed = 0
        var failSubscriptionPage: Int?
    }

    /// Shared with the route handlers (a class, so they hold it and not the account).
    private final class Shared: Sendable {
        let mutex = Mutex(State())
        func withLock<T>(_ body: (inout State) -> T) -> T { mutex.withLock { body(&$0) } }
    }

    let server: HTTPServer
    private let state = Shared()

    init() throws {
        let router = Router()
        server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), router: router, logger: .disabled)
        router.register(.GET, "/v1/customers") { [state] request in
            Self.page(state.withLock { $0.customers }, request, url: "/v1/customers")
        }
        router.register(.GET, "/v1/subscriptions") { [state] request in
            let (objects, fail) = state.withLock { state -> ([(id: String, json: String)], Bool) in
                state.subscriptionPagesServed += 1
                return (state.subscriptions, state.subscriptionPagesServed == state.failSubscriptionPage)
            }
            if fail {
                return HTTPResponse(status: 400, headers: ["Content-Type": "application/json", "Request-Id": "req_scripted_failure"],
                                    body: Array(#"{"error":{"type":"invalid_request_error","message":"scripted failure"}}"#.utf8))
            }
            return Self.page(objects, request, url: "/v1/subscriptions")
        }
        router.register(.GET, "/v1/subscriptions/{id}") { [state] request in
            let id = try request.pathParameter("id")
            return Self.object(state.withLock { $0.subscriptions.first { $0.id == id }?.json }, kind: "subscription", id: id)
        }
        router.register(.GET, "/v1/customers/{id}") { [state] request in
            let id = try request.pathParameter("id")
            return Self.object(state.withLock { $0.customers.first { $0.id == id }?.json }, kind: "customer", id: id)
        }
        try server.start()
    }

    deinit { server.shutdown(timeout: .seconds(5)) }

    var baseURL: String { "http://127.0.0.1:\(server.port)" }

    /// A client that pages `pageSize` objects at a time and does not retry.
    func client(pageSize: Int = 2) -> StripeClient {
        StripeClient(configuration: StripeConfiguration(
            apiKey: StripeAPIKey("sk_test_scripted"), baseURL: baseURL, timeout: .seconds(10), maxRetries: 0, listPageSize: pageSize))
    }

    /// The object, or Stripe's 404.
    private static func object(_ json: String?, kind: String, id: String) -> HTTPResponse {
        guard let json else {
            return HTTPResponse(status: 404, headers: ["Content-Type": "application/json"], body: Array("""
                {"error":{"type":"invalid_request_error","code":"resource_missing","param":"id","message":"No such \(kind): '\(id)'"}}
                """.utf8))
        }
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: Array(json.utf8))
    }

    /// Adds or replaces a customer; `external` becomes metadata `tollgate_customer`.
    func setCustomer(_ id: String, external: String?, email: String? = nil, created: Int = 1_767_225_600) {
        let metadata = external.map { #"{"tollgate_customer":"\#($0)"}"# } ?? "{}"
        let json = #"{"id":"\#(id)","object":"customer","created":\#(created),"email":\#(email.map { "\"\($0)\"" } ?? "null"),"metadata":\#(metadata)}"#
        state.withLock { state in
            if let index = state.customers.firstIndex(where: { $0.id == id }) { state.customers[index].json = json } else { state.customers.append((id, json)) }
        }
    }

    /// Adds or replaces a subscription (see ``subscriptionJSON(_:customer:plan:status:quantity:cancelAtPeriodEnd:periodStart:created:)``).
    func setSubscription(
        _ id: String, customer: String, plan: String, status: String = "active", quantity: Int = 1, cancelAtPeriodEnd: Bool = false,
        periodStart: Int = 1_767_225_600, created: Int = 1_767_225_600, external: String? = nil
    ) {
        let json = Self.subscriptionJSON(
            id, customer: customer, plan: plan, status: status, quantity: quantity, cancelAtPeriodEnd: cancelAtPeriodEnd,
            periodStart: periodStart, created: created, external: external)
        state.withLock { state in
            if let index = state.subscriptions.firstIndex(where: { $0.id == id }) {
                state.subscriptions[index].json = json
            } else {
                state.subscriptions.append((id, json))
            }
        }
    }

    /// A subscription object in the current API shape: the plan as the price's `lookup_key`, the
    /// period on the item; `external` becomes metadata `tollgate_customer`.
    static func subscriptionJSON(
        _ id: String, customer: String, plan: String, status: String = "active", quantity: Int = 1, cancelAtPeriodEnd: Bool = false,
        periodStart: Int = 1_767_225_600, created: Int = 1_767_225_600, external: String? = nil
    ) -> String {
        """
        {"id":"\(id)","object":"subscription","customer":"\(customer)","status":"\(status)","created":\(created),\
        "cancel_at_period_end":\(cancelAtPeriodEnd),"trial_end":null,\
        "metadata":\(external.map { #"{"tollgate_customer":"\#($0)"}"# } ?? "{}"),\
        "items":{"object":"list","has_more":false,"data":[{"id":"si_\(id)","object":"subscription_item","quantity":\(quantity),\
        "current_period_start":\(periodStart),"current_period_end":\(periodStart + 2_678_400),\
        "price":{"id":"price_\(plan)","object":"price","lookup_key":"\(plan)","metadata":{}}}]}}
        """
    }

    /// Deletes the customer: Stripe then answers 404 for it and leaves it out of lists.
    func removeCustomer(_ id: String) {
        state.withLock { $0.customers.removeAll { $0.id == id } }
    }

    /// The JSON Stripe holds for a subscription, or nil.
    func subscription(_ id: String) -> String? {
        state.withLock { $0.subscriptions.first { $0.id == id }?.json }
    }

    func removeSubscription(_ id: String) {
        state.withLock { $0.subscriptions.removeAll { $0.id == id } }
    }

    /// The next sync's subscription list fails on page `page` (1-based), counted from now.
    func failSubscriptionList(onPage page: Int?) {
        state.withLock {
            $0.subscriptionPagesServed = 0
            $0.failSubscriptionPage = page
        }
    }

    private static func page(_ objects: [(id: String, json: String)], _ request: HTTPRequest, url: String) -> HTTPResponse {
        let limit = request.queryValue("limit").flatMap { Int($0) } ?? 10
        var start = 0
        if let after = request.queryValue("starting_after"), let index = objects.firstIndex(where: { $0.id == after }) { start = index + 1 }
        let slice = objects[min(start, objects.count)..<min(start + limit, objects.count)]
        let body = #"{"object":"list","url":"\#(url)","has_more":\#(start + limit < objects.count),"data":[\#(slice.map(\.json).joined(separator: ","))]}"#
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: Array(body.utf8))
    }
}
