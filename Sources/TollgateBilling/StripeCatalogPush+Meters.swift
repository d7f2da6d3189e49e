import Foundation
package import Tollgate
import TollgateBase
import TollgateCrypto
import TollgateEntitlements
import TollgateStripe

/// Metered usage billed by Stripe (docs/usage-billing.md): the names and keys derived from the
/// catalog, one place.
extension StripeCatalogPush {
    /// One metered Price a plan wants: a feature's per-unit price in one interval.
    package struct WantedMeteredPrice: Sendable, Equatable {
        package var feature: FeatureKey
        package var price: MeteredPrice
        package var interval: BillingInterval
        package var lookupKey: String
    }

    /// The meter event name of a feature: `tollgate.<feature key>` (`tollgate.api.requests`). Stripe
    /// allows at most 100 characters; a longer one keeps 78 characters of the key and adds the first
    /// 12 hex digits of the key's SHA-256, so distinct keys keep distinct names.
    package static func meterEventName(_ feature: FeatureKey) -> String {
        let name = "tollgate." + feature.rawValue
        guard name.count > 100 else { return name }
        return "tollgate." + feature.rawValue.prefix(78) + "." + SHA256.hex(feature.rawValue).prefix(12)
    }

    /// The metered Prices of `plan`: for each metered price, one per interval the plan has a flat
    /// price in that currency (a subscription's prices share one interval), monthly when it has
    /// none. Lookup key `tollgate:<plan>:metered:<feature>:<interval>:<currency>`.
    package static func meteredPrices(of plan: Plan) -> [WantedMeteredPrice] {
        plan.meteredPrices.sorted { $0.key.rawValue < $1.key.rawValue }.flatMap { feature, price in
            let intervals = Set(plan.prices.filter { $0.currency == price.currency }.map(\.interval))
            return (intervals.isEmpty ? [.month] : BillingInterval.allCases.filter(intervals.contains)).map { interval in
                WantedMeteredPrice(
                    feature: feature, price: price, interval: interval,
                    lookupKey: "tollgate:\(plan.key):metered:\(feature.rawValue):\(interval.rawValue):\(price.currency)")
            }
        }
    }
}

extension PushRun {
    /// Creates or finds the Billing Meter of every billed feature (`GET /v1/billing/meters`, matched
    /// by `event_name`; an inactive one is reactivated, a changed name updated); meter ids by feature
    /// (missing for a meter a dry run would create).
    mutating func syncMeters(_ catalog: Catalog) throws -> [FeatureKey: String] {
        let billed = catalog.billedFeatures
        guard !billed.isEmpty else { return [:] }
        var byEventName: [String: StripeObject] = [:]
        try stripe.forEachPage("/v1/billing/meters") { page in
            for meter in page {
                guard let name = meter["event_name"]?.string else { continue }
                if byEventName[name] == nil || (byEventName[name]?["status"]?.string != "active" && meter["status"]?.string == "active") {
                    byEventName[name] = meter
                }
            }
        }
        var ids: [FeatureKey: String] = [:]
        for feature in billed {
            let eventName = StripeCatalogPush.meterEventName(feature.key)
            let displayName = "\(feature.name) (Tollgate \(feature.key.rawValue))"
            guard let existing = byEventName[eventName], let id = existing.id else {
                let created = try write(
                    Change(action: "create", object: "meter", key: feature.key.rawValue, detail: "event \(eventName), sum"), .POST, "/v1/billing/meters",
                    [
                        "display_name": .string(displayName), "event_name": .string(eventName), "default_aggregation": ["formula": "sum"],
                        "customer_mapping": ["event_payload_key": "stripe_customer_id", "type": "by_id"],
                        "value_settings": ["event_payload_key": "value"],
                    ], operation: "meter.create:\(eventName)")
                if let id = created?.id { ids[feature.key] = id }
                continue
            }
            ids[feature.key] = id
            if existing["status"]?.string == "inactive" {
                try write(
                    Change(action: "update", object: "meter", key: feature.key.rawValue, stripeID: id, detail: "reactivated"), .POST,
                    "/v1/billing/meters/\(StripeClient.pathSegment(id))/reactivate", [:], operation: "meter.reactivate:\(id)")
            }
            if existing["display_name"]?.string != displayName {
                try write(
                    Change(action: "update", object: "meter", key: feature.key.rawValue, stripeID: id, detail: displayName), .POST,
                    "/v1/billing/meters/" + StripeClient.pathSegment(id), ["display_name": .string(displayName)],
                    operation: "meter.update:\(id):\(displayName)")
            }
        }
        return ids
    }

    /// The plan's metered Prices, as ``syncPrices(_:productID:offered:)`` does flat ones: found by
    /// lookup key, a changed amount or meter creates a new Price taking the key over and archives
    /// the old; a price no longer wanted is archived by the flat pass's stray sweep.
    mutating func syncMeteredPrices(_ plan: Plan, productID: String?, offered: Bool, meters: [FeatureKey: String]) throws {
        let wanted = StripeCatalogPush.meteredPrices(of: plan)
        guard !wanted.isEmpty else { return }
        let byKey = try prices(lookupKeys: wanted.map(\.lookupKey))
        for price in wanted {
            let existing = byKey[price.lookupKey]
            let existingActive = existing?["active"]?.bool ?? false
            guard offered else {
                if let existing, let id = existing.id, existingActive { try archive(id, key: price.lookupKey, detail: "plan \(plan.status.rawValue)") }
                continue
            }
            let meter = meters[price.feature]
            if let existing, let id = existing.id, Self.meteredPrice(existing, matches: price, meter: meter, product: productID) {
                if !existingActive {
                    try write(
                        Change(action: "update", object: "price", key: price.lookupKey, stripeID: id, detail: "reactivated"), .POST,
                        "/v1/prices/" + StripeClient.pathSegment(id), ["active": true], operation: "price.activate:\(id)")
                }
                continue
            }
            var form: StripeForm = [
                "product": .string(productID ?? "(new product)"), "currency": .string(price.price.currency),
                "unit_amount_decimal": .string(price.price.unitAmountDecimal),
                "recurring": ["interval": .string(price.interval.rawValue), "usage_type": "metered", "meter": .string(meter ?? "(new meter)")],
                "lookup_key": .string(price.lookupKey), "nickname": .string("\(plan.name): \(price.feature.rawValue) per unit"),
                "metadata": ["tollgate_plan": .string(plan.key), "tollgate_feature": .string(price.feature.rawValue)],
            ]
            if existing != nil { form["transfer_lookup_key"] = true }
            try write(
                Change(action: "create", object: "price", key: price.lookupKey,
                       detail: "\(price.price.unitAmountDecimal) \(price.price.currency) per unit of \(price.feature.rawValue), metered per \(price.interval.rawValue)"),
                .POST, "/v1/prices", form,
                operation: "price.create:\(price.lookupKey):\(price.price.unitAmountDecimal):\(productID ?? ""):\(meter ?? "")")
            if let existing, let id = existing.id, existingActive {
                try archive(id, key: price.lookupKey, detail: "replaced (was \(existing["unit_amount_decimal"]?.string ?? "?") \(existing["currency"]?.string ?? ""))")
            }
        }
    }

    /// Whether a Stripe Price is the metered price wanted: same decimal amount (compared as numbers:
    /// Stripe may answer `"0.050000000000"` for `"0.05"`), currency, interval, meter and product.
    static func meteredPrice(_ object: StripeObject, matches wanted: StripeCatalogPush.WantedMeteredPrice, meter: String?, product: String?) -> Bool {
        let objectProduct = object["product"]?.string ?? object["product"]?["id"]?.string
        let amount = object["unit_amount_decimal"]?.string.flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }
        return amount != nil && amount == Decimal(string: wanted.price.unitAmountDecimal, locale: Locale(identifier: "en_US_POSIX"))
            && object["currency"]?.string == wanted.price.currency && object["recurring"]?["interval"]?.string == wanted.interval.rawValue
            && object["recurring"]?["usage_type"]?.string == "metered" && (meter == nil || object["recurring"]?["meter"]?.string == meter)
            && (product == nil || objectProduct == product)
    }
}
