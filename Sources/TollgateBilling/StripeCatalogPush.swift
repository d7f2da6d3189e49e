import Foundation
package import Tollgate
package import TollgateEntitlements
package import TollgateLogging
package import TollgateStripe
import TollgateBase

/// Makes Stripe's catalog match Tollgate's: plans → Products and Prices, boolean features →
/// Entitlements features attached to the products of the plans that include them.
///
/// Matching (nothing is kept locally about Stripe's catalog):
/// * a **Product** per plan, found by listing products and matching `metadata[tollgate_plan]`;
///   its `name` follows the plan's, and it is `active` while the plan is active and has prices;
/// * a **Price** per plan price, found by `lookup_key` (``lookupKey(plan:price:)``:
///   `tollgate:<plan>:<interval>:<currency>`), with `metadata[tollgate_plan]`. Prices are
///   immutable: a changed amount creates a new Price that takes the lookup key over
///   (`transfer_lookup_key=true`) and archives the old one (`active=false`). An archived plan's
///   Prices and Product are archived; a price removed from a plan is archived;
/// * an **Entitlements feature** per boolean catalog feature (`lookup_key` = the feature key), and
///   a product feature for each boolean feature a plan includes (removed when the plan no longer
///   does). A 404 from `/v1/entitlements/features` (a peer without that API) is reported in
///   ``StripeCatalogPushReport/notes``, not fatal.
///
/// * a **Billing Meter** per metered feature a plan bills per unit (``meterEventName(_:)``, found by
///   `event_name`), and a metered **Price** on it per plan, metered feature and interval
///   (`StripeCatalogPush+Meters.swift`, docs/usage-billing.md).
///
/// Draft plans are skipped; so is an active plan without prices that was never pushed.
///
/// **Idempotent**: a push reads first and writes only differences, so a second push with
/// nothing changed makes no writes. Every write's `Idempotency-Key` derives from
/// `plans.push:r<catalog revision>:<action>:<object>:<values>`: retries of a push of one catalog
/// revision reuse their keys (a write is made at most once), and a later revision makes fresh ones.
///
/// Calls block (the network): run on a worker thread, never the Swift concurrency pool.
package struct StripeCatalogPush: Sendable {
    let stripe: StripeClient?
    let catalog: CatalogRepository
    let logger: Logger

    package init(stripe: StripeClient?, catalog: CatalogRepository, logger: Logger = .disabled) {
        self.stripe = stripe
        self.catalog = catalog
        self.logger = logger
    }

    /// The lookup key of a plan's price: `tollgate:<plan>:<interval>:<currency>`.
    package static func lookupKey(plan: String, interval: BillingInterval, currency: String) -> String {
        "tollgate:\(plan):\(interval.rawValue):\(currency)"
    }

    package static func lookupKey(plan: Plan, price: Price) -> String {
        lookupKey(plan: plan.key, interval: price.interval, currency: price.currency)
    }

    /// Pushes the stored catalog. With `dryRun`, Stripe is read but not written, and the report
    /// lists what a push would do. Throws ``BillingError`` when Stripe is not configured and
    /// ``StripeError`` when Stripe fails (the writes made before stay; a new push carries on).
    package func push(dryRun: Bool = false) throws -> StripeCatalogPushReport {
        guard let stripe else { throw BillingError.notConfigured }
        let catalog = try self.catalog.load()
        var run = PushRun(stripe: stripe, revision: try self.catalog.revision(), logger: logger, report: StripeCatalogPushReport(dryRun: dryRun))
        try run.push(catalog)
        return run.report
    }
}

/// The state of one push.
struct PushRun {
    typealias Change = StripeCatalogPushReport.Change

    let stripe: StripeClient
    let revision: Int64
    let logger: Logger
    var report: StripeCatalogPushReport

    var dryRun: Bool { report.dryRun }

    mutating func push(_ catalog: Catalog) throws {
        let products = try existingProducts()
        let meters = try syncMeters(catalog)
        var offeredProducts: [(plan: Plan, productID: String?)] = []
        for plan in catalog.plans {
            let offered = plan.status == .active && !plan.prices.isEmpty
            let product = products[plan.key]
            if plan.status == .draft {
                report.notes.append("skipped plan \(plan.key): draft")
                continue
            }
            if !offered && product == nil {
                report.notes.append("skipped plan \(plan.key): " + (plan.status == .archived ? "archived and never pushed" : "no prices"))
                continue
            }
            let productID = try syncProduct(plan, existing: product, offered: offered)
            try syncPrices(plan, productID: productID, offered: offered)
            try syncMeteredPrices(plan, productID: productID, offered: offered, meters: meters)
            if offered { offeredProducts.append((plan, productID)) }
        }
        try syncFeatures(catalog, products: offeredProducts)
    }

    // MARK: Products

    /// Products carrying `metadata[tollgate_plan]`, by plan key (an active one wins over archived).
    func existingProducts() throws -> [String: StripeObject] {
        var byPlan: [String: StripeObject] = [:]
        try stripe.forEachPage("/v1/products") { page in
            for product in page {
                guard let plan = product["metadata"]?["tollgate_plan"]?.string else { continue }
                if byPlan[plan] == nil || (byPlan[plan]?["active"]?.bool != true && product["active"]?.bool == true) { byPlan[plan] = product }
            }
        }
        return byPlan
    }

    /// Creates or updates the plan's product; its id (nil for a create in a dry run).
    mutating func syncProduct(_ plan: Plan, existing: StripeObject?, offered: Bool) throws -> String? {
        guard let existing, let id = existing.id else {
            let created = try write(
                Change(action: "create", object: "product", key: plan.key, detail: plan.name), .POST, "/v1/products",
                ["name": .string(plan.name), "metadata": ["tollgate_plan": .string(plan.key)]],
                operation: "product.create:\(plan.key):\(plan.name)")
            return created?.id
        }
        let active = existing["active"]?.bool ?? true
        guard existing["name"]?.string != plan.name || active != offered else { return id }
        let action = active && !offered ? "archive" : "update"
        let detail = offered ? "\(plan.name), active" : "plan \(plan.status.rawValue)" + (plan.prices.isEmpty ? " without prices" : "")
        try write(
            Change(action: action, object: "product", key: plan.key, stripeID: id, detail: detail), .POST, "/v1/products/" + StripeClient.pathSegment(id),
            ["name": .string(plan.name), "active": .bool(offered)], operation: "product.update:\(id):\(plan.name):\(offered)")
        return id
    }

    // MARK: Prices

    mutating func syncPrices(_ plan: Plan, productID: String?, offered: Bool) throws {
        let byKey = try prices(lookupKeys: plan.prices.map { StripeCatalogPush.lookupKey(plan: plan, price: $0) })
        var kept: Set<String> = []
        for price in plan.prices {
            let key = StripeCatalogPush.lookupKey(plan: plan, price: price)
            let existing = byKey[key]
            let existingActive = existing?["active"]?.bool ?? false
            guard offered else {
                if let existing, let id = existing.id, existingActive {
                    try archive(id, key: key, detail: "plan \(plan.status.rawValue)")
                }
                continue
            }
            if let existing, let id = existing.id, Self.price(existing, matches: price, product: productID) {
                kept.insert(id)
                if !existingActive {
                    try write(
                        Change(action: "update", object: "price", key: key, stripeID: id, detail: "reactivated"), .POST,
                        "/v1/prices/" + StripeClient.pathSegment(id), ["active": true], operation: "price.activate:\(id)")
                }
                continue
            }
            var form: StripeForm = [
                "product": .string(productID ?? "(new product)"), "currency": .string(price.currency), "unit_amount": .integer(Int(price.unitAmount)),
                "recurring": ["interval": .string(price.interval.rawValue)], "lookup_key": .string(key),
                "nickname": .string("\(plan.name) (\(price.interval.rawValue)ly, \(price.currency))"),
                "metadata": ["tollgate_plan": .string(plan.key)],
            ]
            if existing != nil { form["transfer_lookup_key"] = true }
            let created = try write(
                Change(action: "create", object: "price", key: key, detail: MoneyFormat.recurring(price.unitAmount, currency: price.currency, per: price.interval.rawValue)),
                .POST, "/v1/prices", form, operation: "price.create:\(key):\(price.unitAmount):\(productID ?? "")")
            if let id = created?.id { kept.insert(id) }
            if let existing, let id = existing.id, existingActive {
                let old = existing["unit_amount"]?.int.map { "\($0) \(existing["currency"]?.string ?? "")" } ?? "old price"
                try archive(id, key: key, detail: "replaced (was \(old))")
                kept.insert(id)
            }
        }
        // Active prices of the product that no plan price wants any more (a price removed from the plan).
        guard let productID, offered else { return }
        let wanted = Set(plan.prices.map { StripeCatalogPush.lookupKey(plan: plan, price: $0) }).union(StripeCatalogPush.meteredPrices(of: plan).map(\.lookupKey))
        for stray in try stripe.list("/v1/prices", ["product": .string(productID), "active": true]) {
            guard let id = stray.id, !kept.contains(id), stray["metadata"]?["tollgate_plan"]?.string == plan.key,
                  !wanted.contains(stray["lookup_key"]?.string ?? "") else { continue }
            try archive(id, key: stray["lookup_key"]?.string ?? id, detail: "no longer a price of the plan")
        }
    }

    /// Prices holding these lookup keys, by key (`GET /v1/prices?lookup_keys[]=…`, ten at a time).
    func prices(lookupKeys: [String]) throws -> [String: StripeObject] {
        var byKey: [String: StripeObject] = [:]
        var start = 0
        while start < lookupKeys.count {
            let batch = lookupKeys[start..<min(start + 10, lookupKeys.count)]
            for price in try stripe.list("/v1/prices", ["lookup_keys": .list(batch.map { .string($0) })]) {
                if let key = price["lookup_key"]?.string { byKey[key] = price }
            }
            start += 10
        }
        return byKey
    }

    static func price(_ object: StripeObject, matches price: Price, product: String?) -> Bool {
        let objectProduct = object["product"]?.string ?? object["product"]?["id"]?.string
        return object["unit_amount"]?.int == Int(price.unitAmount) && object["currency"]?.string == price.currency
            && object["recurring"]?["interval"]?.string == price.interval.rawValue && (product == nil || objectProduct == product)
    }

    mutating func archive(_ priceID: String, key: String, detail: String) throws {
        try write(
            Change(action: "archive", object: "price", key: key, stripeID: priceID, detail: detail), .POST,
            "/v1/prices/" + StripeClient.pathSegment(priceID), ["active": false], operation: "price.archive:\(priceID)")
    }

    // MARK: Entitlements features

    mutating func syncFeatures(_ catalog: Catalog, products: [(plan: Plan, productID: String?)]) throws {
        let booleans = catalog.features.filter { $0.kind == .boolean }
        guard !booleans.isEmpty else { return }
        guard let existing = try listUnlessMissing("/v1/entitlements/features") else {
            entitlementsUnavailable("GET /v1/entitlements/features")
            return
        }
        var featureIDs: [String: String] = [:]
        let byKey = Dictionary(existing.compactMap { feature in feature["lookup_key"]?.string.map { ($0, feature) } }) { first, _ in first }
        for feature in booleans {
            let key = feature.key.rawValue
            guard let current = byKey[key], let id = current.id else {
                let created = try write(
                    Change(action: "create", object: "feature", key: key, detail: feature.name), .POST, "/v1/entitlements/features",
                    ["name": .string(feature.name), "lookup_key": .string(key), "metadata": ["tollgate_feature": .string(key)]],
                    operation: "feature.create:\(key):\(feature.name)")
                if let id = created?.id { featureIDs[key] = id }
                continue
            }
            featureIDs[key] = id
            if current["name"]?.string != feature.name || current["active"]?.bool == false {
                try write(
                    Change(action: "update", object: "feature", key: key, stripeID: id, detail: "\(feature.name), active"), .POST,
                    "/v1/entitlements/features/" + StripeClient.pathSegment(id), ["name": .string(feature.name), "active": true],
                    operation: "feature.update:\(id):\(feature.name)")
            }
        }
        let booleanKeys = Set(booleans.map(\.key.rawValue))
        for (plan, productID) in products {
            let wanted = plan.entitlements.compactMap { key, value in
                value == .enabled && booleanKeys.contains(key.rawValue) ? key.rawValue : nil
            }.sorted()
            var attached: [String: String] = [:]  // feature key → product feature id
            if let productID {
                guard let productFeatures = try listUnlessMissing("/v1/products/\(StripeClient.pathSegment(productID))/features") else {
                    entitlementsUnavailable("GET /v1/products/{id}/features")
                    return
                }
                for productFeature in productFeatures {
                    if let key = productFeature["entitlement_feature"]?["lookup_key"]?.string, let id = productFeature.id { attached[key] = id }
                }
            }
            for key in wanted where attached[key] == nil {
                let path = "/v1/products/\(StripeClient.pathSegment(productID ?? "new"))/features"
                try write(
                    Change(action: "attach", object: "product_feature", key: "\(plan.key) → \(key)", detail: ""), .POST, path,
                    ["entitlement_feature": .string(featureIDs[key] ?? key)], operation: "product_feature.attach:\(productID ?? ""):\(featureIDs[key] ?? key)")
            }
            for (key, productFeatureID) in attached.sorted(by: { $0.key < $1.key }) where booleanKeys.contains(key) && !wanted.contains(key) {
                let path = "/v1/products/\(StripeClient.pathSegment(productID ?? ""))/features/\(StripeClient.pathSegment(productFeatureID))"
                try write(
                    Change(action: "detach", object: "product_feature", key: "\(plan.key) → \(key)", stripeID: productFeatureID, detail: ""),
                    .DELETE, path, [:], operation: "product_feature.detach:\(productID ?? ""):\(productFeatureID)")
            }
        }
    }

    /// The list at `path`, or nil when Stripe answers 404 (an API the peer does not have).
    func listUnlessMissing(_ path: String) throws(StripeError) -> [StripeObject]? {
        do {
            return try stripe.list(path)
        } catch {
            guard error.isNotFound else { throw error }
            return nil
        }
    }

    mutating func entitlementsUnavailable(_ request: String) {
        report.entitlementsAvailable = false
        report.notes.append("entitlements API not available (\(request) answered 404); features not pushed")
        logger.info("stripe entitlements API not available; features not pushed", ["request": request])
    }

    // MARK: Writing

    /// Records `change` and, unless this is a dry run, makes the write; Stripe's answer (nil in a dry run).
    @discardableResult
    mutating func write(_ change: Change, _ method: StripeWriteMethod, _ path: String, _ form: StripeForm, operation: String) throws -> StripeObject? {
        var change = change
        guard !dryRun else {
            report.changes.append(change)
            return nil
        }
        let identity = "plans.push:r\(revision):" + operation
        let object = switch method {
        case .POST: try stripe.post(path, form, operation: identity)
        case .DELETE: try stripe.delete(path, form, operation: identity)
        }
        if change.stripeID == nil { change.stripeID = object.id }
        report.changes.append(change)
        logger.info("stripe catalog push", ["change": change.description])
        return object
    }
}

/// The two ways a push writes.
enum StripeWriteMethod { case POST, DELETE }
