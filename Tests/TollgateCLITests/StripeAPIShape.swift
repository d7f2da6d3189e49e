import Foundation
import TollgateStripe
import TollgateTestSupport
import TollgateBase

/// The API version an event of the scenario is delivered in, and the rewrite of localstripe's
/// payload into it. Tollgate must apply a payload of any of these the same.
///
/// * ``legacy`` is localstripe's own `2017-08-15` payload as it sent it: the subscription carries
///   `plan`, `quantity` and `current_period_*` at the top level, its items a `plan`.
/// * ``basil`` (`2025-03-31.basil`, <https://docs.stripe.com/changelog/basil>): no top-level
///   `plan`, `quantity` or `current_period_*`; the period is on `items.data[]`, and each item has a
///   `price` (`id`, `metadata`, `product`, `unit_amount`, `currency`, `recurring.interval`) instead
///   of a `plan`. Invoices name their subscription in `parent.subscription_details.subscription`,
///   no longer in `subscription`. Customers embed no `subscriptions`, `sources`, `tax_ids`.
/// * ``endive`` (`2026-10-28.endive`, the version stripe-python 16.1.0 names): the same shape for
///   these fields; subscriptions bill in `flexible` mode, and invoices lose `paid`, `charge` and
///   `payment_intent` (read from `invoice.payments`).
enum StripeAPIShape: String, CaseIterable, Sendable {
    case legacy = "2017-08-15"
    case basil = "2025-03-31.basil"
    case endive = "2026-10-28.endive"

    /// A random shape: 40 % legacy, 40 % basil, 20 % endive.
    static func random(using generator: inout SeededGenerator) -> StripeAPIShape {
        let draw = Double.random(in: 0..<1, using: &generator)
        return draw < 0.4 ? .legacy : draw < 0.8 ? .basil : .endive
    }

    /// The event (`id`, `type`, `created`, `data.object`, …) in this shape, `created` re-stamped.
    func rewrite(_ event: StripeObject, created: Int64) -> StripeObject {
        var root = event.members ?? [:]
        root["created"] = .integer(Int(created))
        root["api_version"] = .string(rawValue)
        if self != .legacy, var data = root["data"]?.members, let object = data["object"] {
            switch object.objectType {
            case "subscription": data["object"] = subscription(object)
            case "invoice": data["object"] = invoice(object)
            case "customer": data["object"] = customer(object)
            default: break
            }
            root["data"] = .object(data)
        }
        return .object(root)
    }

    private func subscription(_ object: StripeObject) -> StripeObject {
        guard var members = object.members else { return object }
        let start = members.removeValue(forKey: "current_period_start") ?? .null
        let end = members.removeValue(forKey: "current_period_end") ?? .null
        members.removeValue(forKey: "plan")
        members.removeValue(forKey: "quantity")
        if self == .endive { members["billing_mode"] = .object(["type": .string("flexible")]) }
        if var items = members["items"]?.members, let data = items["data"]?.array {
            items["data"] = .array(data.map { item in
                guard var fields = item.members else { return item }
                if let plan = fields.removeValue(forKey: "plan") { fields["price"] = Self.price(from: plan) }
                fields["current_period_start"] = start
                fields["current_period_end"] = end
                return .object(fields)
            })
            members["items"] = .object(items)
        }
        return .object(members)
    }

    /// The Price a legacy Plan stands for.
    private static func price(from plan: StripeObject) -> StripeObject {
        .object([
            "id": plan["id"] ?? .null, "object": .string("price"), "active": plan["active"] ?? .bool(true),
            "currency": plan["currency"] ?? .null, "unit_amount": plan["amount"] ?? .null, "metadata": plan["metadata"] ?? .object([:]),
            "product": plan["product"] ?? .null, "lookup_key": .null, "type": .string("recurring"),
            "recurring": .object([
                "interval": plan["interval"] ?? .null, "interval_count": plan["interval_count"] ?? .integer(1),
                "usage_type": plan["usage_type"] ?? .string("licensed"),
            ]),
        ])
    }

    /// Since 2020-08-27 a customer no longer embeds its `subscriptions`, `sources` and `tax_ids`
    /// (expand them to get them), and `account_balance` is `balance` since 2019-10-17.
    private func customer(_ object: StripeObject) -> StripeObject {
        guard var members = object.members else { return object }
        for embedded in ["subscriptions", "sources", "tax_ids"] { members.removeValue(forKey: embedded) }
        if let balance = members.removeValue(forKey: "account_balance") { members["balance"] = balance }
        return .object(members)
    }

    private func invoice(_ object: StripeObject) -> StripeObject {
        guard var members = object.members else { return object }
        if let subscription = members.removeValue(forKey: "subscription"), subscription != .null {
            members["parent"] = .object([
                "type": .string("subscription_details"),
                "subscription_details": .object(["subscription": subscription]),
            ])
        }
        if self == .endive {
            for legacyField in ["paid", "charge", "payment_intent"] { members.removeValue(forKey: legacyField) }
        }
        return .object(members)
    }
}
