import Foundation
import Tollgate
import TollgateBase
import TollgateCore
import TollgateEntitlements
import TollgateIntegrations
import TollgateMail

/// The customer page's sections beyond the subscription, entitlements and grants: daily usage per
/// metered feature, OAuth connections, the Stripe events that named the customer, credits with the
/// ledger, seats and outbound events. Each list is bounded (``recentCount``) and says when there is more.
extension Console {
    /// How many entries each of a customer's lists shows (newest first).
    static let recentCount = 20

    func customerSections(_ customer: Customer, snapshot: EntitlementSnapshot, viewer: Viewer, now: Date) throws -> [String: MustacheValue] {
        [
            "usageCharts": .array(try usageCharts(customer, snapshot: snapshot, now: now)),
            "connections": .array(try services.integrations.list(customer: customer.externalID).sorted { $0.provider < $1.provider }.map(Self.connectionRow)),
            "stripeEvents": try stripeEventSection(customer, viewer: viewer),
            "credits": try creditSection(customer),
            "seats": .array(try seatSections(customer, snapshot: snapshot)),
            "events": try eventSection(customer),
        ]
    }

    /// A 30-day chart of daily usage for each metered feature of the snapshot, by feature key.
    func usageCharts(_ customer: Customer, snapshot: EntitlementSnapshot, now: Date) throws -> [MustacheValue] {
        let days = ConsoleCharts.Days.last(ConsoleCharts.dayCount, now: now)
        let usage = try queries.dailyUsage(customerID: customer.id, days: days)
        let metered = snapshot.entitlements.values.filter { $0.kind == .metered }.map(\.feature.rawValue).sorted()
        return metered.map { feature in
            let values = usage[feature] ?? Array(repeating: 0, count: days.starts.count)
            return [
                "feature": .string(feature),
                "chart": ConsoleCharts.daily(id: "usage-" + feature, subject: "Usage of \(feature) per day", days: days, series: [
                    ConsoleCharts.Series(name: "used", style: "usage", values: values),
                ]),
            ]
        }
    }

    /// A connection as the page shows it: never a token (``OAuthConnection`` holds none).
    static func connectionRow(_ connection: OAuthConnection) -> MustacheValue {
        [
            "provider": .string(connection.provider), "status": .string(connection.status.rawValue),
            "scopes": .string(connection.scopes.joined(separator: " ")), "account": optional(connection.account),
            "expiresAt": optional(connection.expiresAt.map(time)), "refreshable": .bool(connection.refreshable),
            "failureCount": .integer(connection.failureCount), "lastError": optional(connection.lastError),
            "createdAt": .string(time(connection.createdAt)),
        ]
    }

    /// The newest Stripe events that named the customer's Stripe customer (none before it has one).
    func stripeEventSection(_ customer: Customer, viewer: Viewer) throws -> MustacheValue {
        guard let stripeCustomerID = customer.stripeCustomerID else { return ["linked": false, "hasItems": false, "hasMore": false, "items": []] }
        let page = try queries.stripeEvents(stripeCustomerID: stripeCustomerID, limit: Self.recentCount)
        return [
            "linked": true, "hasMore": .bool(page.hasMore), "hasItems": .bool(!page.items.isEmpty),
            "items": .array(page.items.map { event in
                [
                    "id": .string(event.id), "type": .string(event.type), "status": .string(event.status), "created": .string(Self.time(event.created)),
                    "href": .string("/admin/webhooks/" + PercentEncoding.encode(event.id)),
                ]
            }),
        ]
    }

    /// The customer's credit accounts (balance, held, debt, available per pool) and the newest ledger entries.
    func creditSection(_ customer: Customer) throws -> MustacheValue {
        let accounts = try services.entitlements.credits.accounts(customer: customer.externalID)
        let ledger = try queries.recentLedger(customerID: customer.id, limit: Self.recentCount)
        return [
            "hasItems": .bool(!accounts.isEmpty || !ledger.items.isEmpty), "hasMore": .bool(ledger.hasMore), "anyLedger": .bool(!ledger.items.isEmpty),
            "accounts": .array(accounts.map { account in
                [
                    "pool": .string(account.pool), "balance": .integer(Int(account.balance)), "held": .integer(Int(account.held)),
                    "debt": .integer(Int(account.debt)), "available": .integer(Int(account.available)),
                ]
            }),
            "ledger": .array(ledger.items.map { entry in
                [
                    "pool": .string(entry.pool), "amount": .string(entry.amount > 0 ? "+\(entry.amount)" : String(entry.amount)),
                    "cause": .string(entry.cause), "reference": Self.optional(entry.reference),
                    "balanceAfter": .integer(Int(entry.balanceAfter)), "createdAt": .string(Self.time(entry.createdAt)),
                ]
            }),
        ]
    }

    /// Each limit feature in which members hold seats: the limit, the holders (the first ``recentCount``
    /// by member id). A feature the catalog no longer has as a limit has no seats to show.
    func seatSections(_ customer: Customer, snapshot: EntitlementSnapshot) throws -> [MustacheValue] {
        try queries.seatFeatures(customerID: customer.id).compactMap { key -> MustacheValue? in
            guard let feature = FeatureKey(rawValue: key), snapshot.entitlements[feature]?.kind == .limit else { return nil }
            let listing = try services.seats.list(customer: customer.externalID, feature: feature, page: try PageRequest(limit: Self.recentCount))
            return [
                "feature": .string(key), "limit": .string(Self.valueText(listing.limit)), "assigned": .integer(Int(listing.assigned)),
                "overLimit": listing.overLimit > 0 ? .integer(Int(listing.overLimit)) : .null, "hasMore": .bool(listing.hasMore),
                "holders": .array(listing.data.map { ["member": .string($0.member), "assignedAt": .string(Self.time($0.assignedAt))] }),
            ]
        }
    }

    /// The customer's newest published events and what their deliveries to webhook endpoints did.
    func eventSection(_ customer: Customer) throws -> MustacheValue {
        let page = try queries.recentEvents(customer: customer.externalID, limit: Self.recentCount)
        return [
            "hasMore": .bool(page.hasMore), "hasItems": .bool(!page.items.isEmpty),
            "items": .array(page.items.map { event in
                let deliveries = event.deliveries.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                return [
                    "id": .string(event.id), "type": .string(event.type), "position": .integer(Int(event.position)),
                    "createdAt": .string(Self.time(event.createdAt)), "deliveries": .string(deliveries.isEmpty ? "none" : deliveries),
                ]
            }),
        ]
    }
}
