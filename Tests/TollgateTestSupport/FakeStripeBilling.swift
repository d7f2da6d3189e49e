import Foundation
import Synchronization
package import TollgateHTTPServer
import TollgateLogging

/// A scripted, stateful fake of the Stripe endpoints that localstripe lacks (Prices, Entitlements,
/// Checkout, the billing portal, Billing Meters and meter events: `FakeStripeBilling+Meters.swift`) plus the subscription updates billing makes, on a real socket
/// (TollgateHTTPServer, 127.0.0.1, port 0). Objects have the shapes Stripe documents
/// (<https://docs.stripe.com/api>; `../shared/data/stripe/openapi_fixtures3.json`): lists are
/// `{"object":"list","data":[…],"has_more":…}` newest first with `limit` and `starting_after`,
/// errors are `{"error":{"type","code","message","param"}}`.
///
/// Every request is recorded (method, path, query, form body, `Idempotency-Key`) so tests count
/// writes and read the parameters sent. A POST's `Idempotency-Key` is honoured as Stripe does
/// (<https://docs.stripe.com/api/idempotent_requests>): a key seen before answers the first
/// (successful) response again and changes nothing; the same key with another request is a 400
/// `idempotency_error`. Subscriptions list (`GET /v1/subscriptions`: `customer`, `status`, canceled
/// ones only with `status=all`, newest first). ``entitlementsAvailable`` off answers the Entitlements
/// and product-features paths with 404, as a peer without that API does; ``fail(_:_:status:type:code:message:times:)``
/// scripts an error for the next matching requests (`{{authorization}}` in the message is
/// replaced by the request's `Authorization` header, to prove it never reaches a caller).
package final class FakeStripeBilling: Sendable {
    /// One request as received.
    package struct Request: Sendable {
        package var method: String
        package var path: String
        package var query: [(name: String, value: String)]
        /// The decoded form body, in order.
        package var form: [(key: String, value: String)]
        package var idempotencyKey: String?

        package subscript(key: String) -> String? { form.first { $0.key == key }?.value ?? query.first { $0.name == key }?.value }

        /// POST or DELETE.
        package var isWrite: Bool { method == "POST" || method == "DELETE" }
    }

    struct Product { var id: String; var name: String; var active = true; var metadata: [String: String] }
    struct PriceObject {
        var id: String; var product: String; var currency: String; var unitAmount: Int; var interval: String
        var lookupKey: String?; var active = true; var metadata: [String: String]; var nickname: String?
        /// Metered prices (FakeStripeBilling+Meters.swift): the decimal amount, `metered`, the meter.
        var unitAmountDecimal: String? = nil; var usageType = "licensed"; var meter: String? = nil
    }
    struct FeatureObject { var id: String; var name: String; var lookupKey: String; var active = true; var metadata: [String: String] }
    struct ProductFeature { var id: String; var product: String; var feature: String }
    struct SubscriptionObject {
        var id: String; var customer: String; var itemID: String; var price: String; var quantity: Int
        var status = "active"; var cancelAtPeriodEnd = false; var metadata: [String: String] = [:]
        var periodStart: Int; var periodEnd: Int
        /// Stripe's `created`: increasing with each subscription the fake makes.
        var created: Int
    }
    /// The first successful answer to an `Idempotency-Key`, and the request it answered.
    struct IdempotentResult { var fingerprint: String; var body: Data }
    struct Failure {
        var method: String; var pathPrefix: String; var status: Int; var body: String; var remaining: Int
        /// The request is carried out (or replayed) first, and then its answer lost: as when the
        /// connection drops after Stripe acted.
        var afterHandling = false
    }

    struct State {
        var products: [Product] = []
        var prices: [PriceObject] = []
        var features: [FeatureObject] = []
        var productFeatures: [ProductFeature] = []
        var subscriptions: [String: SubscriptionObject] = [:]
        var requests: [Request] = []
        /// POSTs and DELETEs that took effect: neither refused, nor scripted to fail first, nor replayed.
        var applied: [Request] = []
        var failures: [Failure] = []
        var entitlementsAvailable = true
        /// Checkout Sessions by id, and the charges of their payments by PaymentIntent id.
        var sessions: [String: CheckoutSessionObject] = [:]
        var charges: [String: ChargeObject] = [:]
        var counter = 0
        var idempotentResults: [String: IdempotentResult] = [:]
        /// Billing Meters and the meter events they received (FakeStripeBilling+Meters.swift).
        var meters = MeterState()

        mutating func nextID(_ prefix: String) -> String {
            counter += 1
            return "\(prefix)_Fake\(String(format: "%06d", counter))"
        }
    }

    package let server: HTTPServer
    let state = Mutex(State())

    package init() throws {
        let router = Router()
        server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), router: router, logger: .disabled)
        var routes: [(HTTPMethod, String, @Sendable (FakeStripeBilling, Request, inout State) throws -> Any)] = [
            (.GET, "/v1/products", { fake, request, state in fake.list(request, state.products.filter { request["active"] == nil || String($0.active) == request["active"] }.map(Self.json)) }),
            (.POST, "/v1/products", { _, request, state in try Self.createProduct(request, &state) }),
            (.GET, "/v1/products/{id}", { _, request, state in Self.json(try Self.find(state.products, request.path)) }),
            (.POST, "/v1/products/{id}", { _, request, state in try Self.updateProduct(request, &state) }),
            (.GET, "/v1/prices", { fake, request, state in fake.list(request, Self.filterPrices(request, state.prices).map(Self.json)) }),
            (.POST, "/v1/prices", { _, request, state in try Self.createPrice(request, &state) }),
            (.POST, "/v1/prices/{id}", { _, request, state in try Self.updatePrice(request, &state) }),
            (.GET, "/v1/entitlements/features", { fake, request, state in
                fake.list(request, state.features.filter { request["lookup_key"] == nil || $0.lookupKey == request["lookup_key"] }.map(Self.json))
            }),
            (.POST, "/v1/entitlements/features", { _, request, state in try Self.createFeature(request, &state) }),
            (.POST, "/v1/entitlements/features/{id}", { _, request, state in try Self.updateFeature(request, &state) }),
            (.GET, "/v1/products/{id}/features", { fake, request, state in
                let product = try Self.productOfFeaturePath(request.path, state)
                return fake.list(request, state.productFeatures.filter { $0.product == product }.map { Self.json($0, state) })
            }),
            (.POST, "/v1/products/{id}/features", { _, request, state in try Self.attachFeature(request, &state) }),
            (.DELETE, "/v1/products/{id}/features/{feature}", { _, request, state in try Self.detachFeature(request, &state) }),
            (.POST, "/v1/checkout/sessions", { _, request, state in try Self.checkoutSession(request, &state) }),
            (.GET, "/v1/checkout/sessions/{id}", { _, request, state in
                guard let id = request.path.split(separator: "/").last.map(String.init), let session = state.sessions[id] else { throw Self.missing(request.path) }
                return Self.json(session)
            }),
            (.POST, "/v1/billing_portal/sessions", { _, request, state in try Self.portalSession(request, &state) }),
            (.GET, "/v1/subscriptions", { fake, request, state in
                let listed = state.subscriptions.values.filter { subscription in
                    (request["customer"] == nil || subscription.customer == request["customer"])
                        && (request["status"] == "all" || subscription.status == (request["status"] ?? subscription.status))
                        && (request["status"] != nil || subscription.status != "canceled")
                }.sorted { ($0.created, $0.id) < ($1.created, $1.id) }
                return fake.list(request, listed.map { Self.json($0, state) })
            }),
            (.GET, "/v1/subscriptions/{id}", { _, request, state in Self.json(try Self.subscription(request.path, state), state) }),
            (.POST, "/v1/subscriptions/{id}", { _, request, state in try Self.updateSubscription(request, &state) }),
            (.DELETE, "/v1/subscriptions/{id}", { _, request, state in
                var subscription = try Self.subscription(request.path, state)
                subscription.status = "canceled"
                state.subscriptions[subscription.id] = subscription
                return Self.json(subscription, state)
            }),
        ]
        routes += Self.meterRoutes
        for (method, pattern, handler) in routes {
            router.register(method, pattern) { [unowned self] request in try self.handle(request, handler) }
        }
        try server.start()
    }

    deinit { server.shutdown(timeout: .seconds(5)) }

    package var baseURL: String { "http://127.0.0.1:\(server.port)" }

    /// Every request received, in order.
    package var requests: [Request] { state.withLock { $0.requests } }

    /// The POST and DELETE requests received.
    package var writes: [Request] { requests.filter(\.isWrite) }

    /// Forgets the requests received and the writes applied so far (not the objects, nor the idempotent answers).
    package func clearRequests() {
        state.withLock { state in
            state.requests = []
            state.applied = []
        }
    }

    /// The POSTs and DELETEs that took effect: one per Stripe operation (a replayed
    /// `Idempotency-Key` is not one, nor a refused or scripted-to-fail request).
    package var appliedWrites: [Request] { state.withLock { $0.applied } }

    /// Off: the Entitlements API and product features answer 404 (as localstripe does).
    package var entitlementsAvailable: Bool {
        get { state.withLock { $0.entitlementsAvailable } }
        set { state.withLock { $0.entitlementsAvailable = newValue } }
    }

    /// The next `times` requests whose method is `method` and whose path starts with `pathPrefix`
    /// are answered `status` with this Stripe error object. `afterHandling`: each is carried out
    /// (or replayed, for a known `Idempotency-Key`) before the error is answered instead of its
    /// result — Stripe acted, the caller never heard.
    package func fail(
        _ method: String, _ pathPrefix: String, status: Int, type: String, code: String? = nil, message: String, times: Int = 1,
        afterHandling: Bool = false
    ) {
        let codeField = code.map { #","code":"\#($0)""# } ?? ""
        let body = #"{"error":{"type":"\#(type)"\#(codeField),"message":"\#(message)"}}"#
        state.withLock {
            $0.failures.append(Failure(method: method, pathPrefix: pathPrefix, status: status, body: body, remaining: times, afterHandling: afterHandling))
        }
    }

    /// Products, prices and features as the fake holds them, for assertions.
    package var activePriceLookupKeys: [String: Int] {
        state.withLock { state in
            Dictionary(state.prices.filter(\.active).compactMap { price in price.lookupKey.map { ($0, price.unitAmount) } }) { first, _ in first }
        }
    }

    package func productIsActive(plan: String) -> Bool? {
        state.withLock { state in state.products.first { $0.metadata["tollgate_plan"] == plan }?.active }
    }

    package func priceIsActive(_ id: String) -> Bool? { state.withLock { state in state.prices.first { $0.id == id }?.active } }

    /// Lookup keys of the features attached to the plan's product.
    package func attachedFeatures(plan: String) -> [String] {
        state.withLock { state in
            guard let product = state.products.first(where: { $0.metadata["tollgate_plan"] == plan }) else { return [] }
            return state.productFeatures.filter { $0.product == product.id }.compactMap { attached in
                state.features.first { $0.id == attached.feature }?.lookupKey
            }.sorted()
        }
    }

    /// A subscription of `customer` on the price holding `lookupKey` with `status`; its id.
    package func addSubscription(customer: String, lookupKey: String, quantity: Int = 1, status: String = "active") throws -> String {
        try state.withLock { state in
            guard let price = state.prices.first(where: { $0.lookupKey == lookupKey }) else {
                throw HTTPTestClientError("no price \(lookupKey) in the fake")
            }
            let id = state.nextID("sub")
            let now = Int(Date().timeIntervalSince1970)
            state.subscriptions[id] = SubscriptionObject(
                id: id, customer: customer, itemID: state.nextID("si"), price: price.id, quantity: quantity, status: status,
                periodStart: now, periodEnd: now + 30 * 86_400, created: 1_767_225_600 + state.counter)
            return id
        }
    }

    /// Sets a subscription's status (what Stripe does by itself: a cancellation at period end
    /// taking effect, a payment failing), as no request of Tollgate's would.
    package func setStatus(_ status: String, of subscription: String) throws {
        try state.withLock { state in
            guard state.subscriptions[subscription] != nil else { throw HTTPTestClientError("no subscription \(subscription) in the fake") }
            state.subscriptions[subscription]?.status = status
        }
    }

    /// The subscription's first item's price lookup key and quantity, as the fake holds them.
    package func subscriptionState(_ id: String) -> (lookupKey: String?, quantity: Int, status: String, cancelAtPeriodEnd: Bool)? {
        state.withLock { state in
            state.subscriptions[id].map { subscription in
                (state.prices.first { $0.id == subscription.price }?.lookupKey, subscription.quantity, subscription.status, subscription.cancelAtPeriodEnd)
            }
        }
    }

    /// The subscription as Stripe would send it, wrapped in an event of `type`.
    package func subscriptionEvent(_ id: String, type: String = "customer.subscription.updated", eventID: String, created: Int) throws -> [UInt8] {
        let object: Any = try state.withLock { state in
            guard let subscription = state.subscriptions[id] else { throw HTTPTestClientError("no subscription \(id) in the fake") }
            return Self.json(subscription, state)
        }
        let event: [String: Any] = [
            "id": eventID, "object": "event", "type": type, "created": created, "api_version": "2025-03-31.basil", "livemode": false,
            "data": ["object": object],
        ]
        return Array(try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]))
    }

    // MARK: Dispatch

    private func handle(_ http: HTTPRequest, _ handler: @Sendable (FakeStripeBilling, Request, inout State) throws -> Any) throws -> HTTPResponse {
        let request = Request(
            method: http.method.rawValue, path: http.path, query: http.query, form: Self.parseForm(String(decoding: http.body, as: UTF8.self)),
            idempotencyKey: http.headers["Idempotency-Key"])
        let outcome = state.withLock { state -> Result<Data, HTTPError> in
            state.requests.append(request)
            var lostAnswer: HTTPError?
            if let index = state.failures.firstIndex(where: { $0.method == request.method && request.path.hasPrefix($0.pathPrefix) && $0.remaining > 0 }) {
                state.failures[index].remaining -= 1
                let body = state.failures[index].body.replacingOccurrences(of: "{{authorization}}", with: http.headers["Authorization"] ?? "")
                let failure = HTTPError(status: state.failures[index].status, code: "scripted", message: body)
                guard state.failures[index].afterHandling else { return .failure(failure) }
                lostAnswer = failure
            }
            let fingerprint = request.method + " " + request.path + "?" + request.form.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
            if request.method == "POST", let key = request.idempotencyKey, let first = state.idempotentResults[key] {
                guard first.fingerprint == fingerprint else {
                    return .failure(Self.stripeError(400, "idempotency_error", nil,
                        "Keys for idempotent requests can only be used with the same parameters they were first used with."))
                }
                return lostAnswer.map { .failure($0) } ?? .success(first.body)
            }
            let entitlementsPath = request.path.hasPrefix("/v1/entitlements") || request.path.hasSuffix("/features") || request.path.contains("/features/")
            if entitlementsPath && !state.entitlementsAvailable {
                return .failure(Self.stripeError(404, "invalid_request_error", nil, "Unrecognized request URL (\(request.method): \(request.path))."))
            }
            do {
                let object = try handler(self, request, &state)
                let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
                if request.method == "POST", let key = request.idempotencyKey { state.idempotentResults[key] = IdempotentResult(fingerprint: fingerprint, body: body) }
                if request.isWrite { state.applied.append(request) }
                return lostAnswer.map { .failure($0) } ?? .success(body)
            } catch {
                return .failure(error as? HTTPError ?? Self.stripeError(500, "api_error", nil, "fake: \(error)"))
            }
        }
        switch outcome {
        case .success(let body):
            return HTTPResponse(status: 200, headers: ["Content-Type": "application/json", "Request-Id": "req_fake"], body: Array(body))
        case .failure(let error):
            // `message` holds the whole Stripe error body.
            return HTTPResponse(status: error.status, headers: ["Content-Type": "application/json", "Request-Id": "req_fake"], body: Array(error.message.utf8))
        }
    }

    static func stripeError(_ status: Int, _ type: String, _ code: String?, _ message: String, param: String? = nil) -> HTTPError {
        var error: [String: Any] = ["type": type, "message": message]
        if let code { error["code"] = code }
        if let param { error["param"] = param }
        let body = (try? JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return HTTPError(status: status, code: "stripe", message: body)
    }

    static func missing(_ path: String) -> HTTPError {
        stripeError(404, "invalid_request_error", "resource_missing", "No such object: '\(path.split(separator: "/").last ?? "")'", param: "id")
    }

    static func parseForm(_ text: String) -> [(key: String, value: String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String { String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part) }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func metadata(_ request: Request, existing: [String: String] = [:]) -> [String: String] {
        var metadata = existing
        for (key, value) in request.form where key.hasPrefix("metadata[") && key.hasSuffix("]") {
            metadata[String(key.dropFirst(9).dropLast())] = value
        }
        return metadata
    }

    /// A list page: newest first, `limit` (default 10) after `starting_after`.
    func list(_ request: Request, _ objects: [[String: Any]]) -> [String: Any] {
        let newestFirst = Array(objects.reversed())
        let limit = request["limit"].flatMap(Int.init) ?? 10
        var start = 0
        if let after = request["starting_after"], let index = newestFirst.firstIndex(where: { $0["id"] as? String == after }) { start = index + 1 }
        let page = Array(newestFirst[min(start, newestFirst.count)..<min(start + limit, newestFirst.count)])
        return ["object": "list", "url": request.path, "has_more": start + limit < newestFirst.count, "data": page]
    }

    static func find(_ products: [Product], _ path: String) throws(HTTPError) -> Product {
        guard let product = products.first(where: { $0.id == path.split(separator: "/").last.map(String.init) }) else { throw missing(path) }
        return product
    }

    // MARK: Products, prices, features

    static func json(_ product: Product) -> [String: Any] {
        ["id": product.id, "object": "product", "name": product.name, "active": product.active, "metadata": product.metadata,
         "created": 1_767_225_600, "updated": 1_767_225_600, "livemode": false, "type": "service", "marketing_features": [Any](), "images": [Any]()]
    }

    static func createProduct(_ request: Request, _ state: inout State) throws(HTTPError) -> Any {
        guard let name = request["name"] else { throw stripeError(400, "invalid_request_error", "parameter_missing", "Missing required param: name.", param: "name") }
        let product = Product(id: request["id"] ?? state.nextID("prod"), name: name, active: request["active"] != "false", metadata: metadata(request))
        state.products.append(product)
        return json(product)
    }

    static func updateProduct(_ request: Request, _ state: inout State) throws(HTTPError) -> Any {
        let id = try find(state.products, request.path).id
        guard let index = state.products.firstIndex(where: { $0.id == id }) else { throw missing(request.path) }
        if let name = request["name"] { state.products[index].name = name }
        if let active = request["active"] { state.products[index].active = active == "true" }
        state.products[index].metadata = metadata(request, existing: state.products[index].metadata)
        return json(state.products[index])
    }

    static func json(_ price: PriceObject) -> [String: Any] {
        ["id": price.id, "object": "price", "active": price.active, "currency": price.currency, "unit_amount": price.unitAmount,
         "unit_amount_decimal": price.unitAmountDecimal ?? String(price.unitAmount), "product": price.product, "lookup_key": price.lookupKey ?? NSNull(),
         "metadata": price.metadata, "nickname": price.nickname ?? NSNull(), "type": "recurring", "billing_scheme": "per_unit",
         "recurring": ["interval": price.interval, "interval_count": 1, "usage_type": price.usageType, "meter": price.meter.map { $0 as Any } ?? NSNull(), "trial_period_days": NSNull()],
         "created": 1_767_225_600, "livemode": false, "tax_behavior": "unspecified"]
    }

    static func filterPrices(_ request: Request, _ prices: [PriceObject]) -> [PriceObject] {
        let keys = request.query.filter { $0.name.hasPrefix("lookup_keys[") }.map(\.value)
        return prices.filter { price in
            (keys.isEmpty || keys.contains(price.lookupKey ?? "")) && (request["product"] == nil || price.product == request["product"])
                && (request["active"] == nil || String(price.active) == request["active"])
        }
    }

    static func createPrice(_ request: Request, _ state: inout State) throws(HTTPError) -> Any {
        for required in ["currency", "product", "recurring[interval]"] where request[required] == nil {
            throw stripeError(400, "invalid_request_error", "parameter_missing", "Missing required param: \(required).", param: required)
        }
        if request["unit_amount"] == nil && request["unit_amount_decimal"] == nil {
            throw stripeError(400, "invalid_request_error", "parameter_missing", "Missing required param: unit_amount.", param: "unit_amount")
        }
        let usageType = request["recurring[usage_type]"] ?? "licensed"
        if usageType == "metered" {
            guard let meter = request["recurring[meter]"], state.meters.meters.contains(where: { $0.id == meter }) else {
                throw stripeError(400, "invalid_request_error", "resource_missing", "A metered price needs an existing meter (recurring[meter]).",
                                  param: "recurring[meter]")
            }
        }
        guard let product = request["product"], state.products.contains(where: { $0.id == product }) else {
            throw stripeError(400, "invalid_request_error", "resource_missing", "No such product: '\(request["product"] ?? "")'", param: "product")
        }
        let lookupKey = request["lookup_key"]
        if let lookupKey, let holder = state.prices.firstIndex(where: { $0.lookupKey == lookupKey }) {
            guard request["transfer_lookup_key"] == "true" else {
                throw stripeError(400, "invalid_request_error", nil,
                                  "A price (`\(state.prices[holder].id)`) already uses that lookup key.", param: "lookup_key")
            }
            state.prices[holder].lookupKey = nil
        }
        let price = PriceObject(
            id: state.nextID("price"), product: product, currency: request["currency"] ?? "", unitAmount: Int(request["unit_amount"] ?? "") ?? 0,
            interval: request["recurring[interval]"] ?? "", lookupKey: lookupKey, metadata: metadata(request), nickname: request["nickname"],
            unitAmountDecimal: request["unit_amount_decimal"], usageType: usageType, meter: request["recurring[meter]"])
        state.prices.append(price)
        return json(price)
    }

    static func updatePrice(_ request: Request, _ state: inout State) throws(HTTPError) -> Any {
        guard let index = state.prices.firstIndex(where: { $0.id == request.path.split(separator: "/").last.map(String.init) }) else { throw missing(request.path) }
        if let active = request["active"] { state.prices[index].active = active == "true" }
        state.prices[index].metadata = metadata(request, existing: state.prices[index].metadata)
        return json(state.prices[index])
    }

    static func json(_ feature: FeatureObject) -> [String: Any] {
        ["id": feature.id, "object": "entitlements.feature", "name": feature.name, "lookup_key": feature.lookupKey, "active": feature.active,
         "metadata": feature.metadata, "livemode": false]
    }

    static func createFeature(_ request: Request, _ state: inout State) throws(HTTPError) -> Any {
        guard let name = request["name"], let lookupKey = request["lookup_key"] else {
            throw stripeError(400, "invalid_request_error", "parameter_missing", "Missing required param: name or lookup_key.")
        }
        guard !state.features.contains(where: { $0.lookupKey == lookupKey }) else {
            throw stripeError(400, "invalid_request_error", nil, "A feature with lookup_key \(lookupKey) already exists.", param: "lookup_key")
        }
        let feature = FeatureObject(id: state.nextID("feat_test"), name: name, lookupKey: lookupKey, metadata: metadata(request))
        state.features.append(feature)
        return json(feature)
    }

    static func updateFeature(_ request: Request, _ state: inout State) throws(HTTPError) -> Any {
        guard let index = state.features.firstIndex(where: { $0.id == request.path.split(separator: "/").last.map(String.init) }) else { throw missing(request.path) }
        if let name = request["name"] { state.features[index].name = name }
        if let active = request["active"] { state.features[index].active = active == "true" }
        state.features[index].metadata = metadata(request, existing: state.features[index].metadata)
        return json(state.features[index])
    }

    static func json(_ attached: ProductFeature, _ state: State) -> [String: Any] {
        let feature = state.features.first { $0.id == attached.feature }.map(json) ?? [:]
        return ["id": attached.id, "object": "product_feature", "entitlement_feature": feature, "livemode": false]
    }

    /// `/v1/products/{id}/features[/…]` → the product id, which must exist.
    static func productOfFeaturePath(_ path: String, _ state: State) throws(HTTPError) -> String {
        let segments = path.split(separator: "/").map(String.init)
        guard segments.count >= 4, state.products.contains(where: { $0.id == segments[2] }) else { throw missing(path) }
        return segments[2]
    }

    static func attachFeature(_ request: Request, _ state: inout State) throws(HTTPError) -> Any {
        let product = try productOfFeaturePath(request.path, state)
        guard let feature = state.features.first(where: { $0.id == request["entitlement_feature"] }) else {
            throw stripeError(400, "invalid_request_error", "resource_missing", "No such feature.", param: "entitlement_feature")
        }
        guard !state.productFeatures.contains(where: { $0.product == product && $0.feature == feature.id }) else {
            throw stripeError(400, "invalid_request_error", nil, "The feature is already attached to this product.")
        }
        let attached = ProductFeature(id: state.nextID("prodft"), product: product, feature: feature.id)
        state.productFeatures.append(attached)
        return json(attached, state)
    }

    static func detachFeature(_ request: Request, _ state: inout State) throws(HTTPError) -> Any {
        let product = try productOfFeaturePath(request.path, state)
        let id = request.path.split(separator: "/").last.map(String.init)
        guard let index = state.productFeatures.firstIndex(where: { $0.product == product && $0.id == id }) else { throw missing(request.path) }
        state.productFeatures.remove(at: index)
        return ["id": id ?? "", "object": "product_feature", "deleted": true]
    }

    // MARK: Checkout, portal, subscriptions

    static func portalSession(_ request: Request, _ state: inout State) throws(HTTPError) -> Any {
        guard let customer = request["customer"] else {
            throw stripeError(400, "invalid_request_error", "parameter_missing", "Missing required param: customer.", param: "customer")
        }
        let id = state.nextID("bps")
        let returnURL: Any = request["return_url"].map { $0 as Any } ?? NSNull()
        return ["id": id, "object": "billing_portal.session", "customer": customer, "return_url": returnURL,
                "url": "https://billing.stripe.com/p/session/test_\(id)", "livemode": false, "created": 1_767_225_600]
    }

    static func subscription(_ path: String, _ state: State) throws(HTTPError) -> SubscriptionObject {
        guard let id = path.split(separator: "/").last.map(String.init), let subscription = state.subscriptions[id] else { throw missing(path) }
        return subscription
    }

    /// The 2025-03-31.basil shape: the current period on the item, the price expanded.
    static func json(_ subscription: SubscriptionObject, _ state: State) -> [String: Any] {
        let price = state.prices.first { $0.id == subscription.price }.map(json) ?? ["id": subscription.price]
        let item: [String: Any] = [
            "id": subscription.itemID, "object": "subscription_item", "price": price, "quantity": subscription.quantity, "subscription": subscription.id,
            "current_period_start": subscription.periodStart, "current_period_end": subscription.periodEnd, "metadata": [String: String](),
        ]
        return ["id": subscription.id, "object": "subscription", "customer": subscription.customer, "status": subscription.status,
                "cancel_at_period_end": subscription.cancelAtPeriodEnd, "metadata": subscription.metadata, "trial_end": NSNull(),
                "items": ["object": "list", "data": [item], "has_more": false, "url": "/v1/subscription_items?subscription=\(subscription.id)"],
                "created": subscription.created, "livemode": false]
    }

    static func updateSubscription(_ request: Request, _ state: inout State) throws(HTTPError) -> Any {
        var subscription = try subscription(request.path, state)
        if let itemID = request["items[0][id]"], itemID != subscription.itemID {
            throw stripeError(400, "invalid_request_error", "resource_missing", "No such subscription item: '\(itemID)'", param: "items[0][id]")
        }
        if let price = request["items[0][price]"] {
            guard state.prices.contains(where: { $0.id == price && $0.active }) else {
                throw stripeError(400, "invalid_request_error", "resource_missing", "No such price: '\(price)'", param: "items[0][price]")
            }
            subscription.price = price
        }
        if let quantity = request["items[0][quantity]"].flatMap(Int.init) { subscription.quantity = quantity }
        if let cancel = request["cancel_at_period_end"] { subscription.cancelAtPeriodEnd = cancel == "true" }
        if let behavior = request["proration_behavior"], !["create_prorations", "none", "always_invoice"].contains(behavior) {
            throw stripeError(400, "invalid_request_error", nil, "Invalid proration_behavior.", param: "proration_behavior")
        }
        subscription.metadata = metadata(request, existing: subscription.metadata)
        state.subscriptions[subscription.id] = subscription
        return json(subscription, state)
    }
}
