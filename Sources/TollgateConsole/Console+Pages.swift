import Foundation
import Tollgate
import TollgateBase
import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer
import TollgateMail
import TollgateOutbox

/// The pages: overview, customers, one customer with its grants.
extension Console {
    func overview(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        let stripe = try services.stripeEvents.watchedCounts()
        let outbox = try services.outbox.counts()
        let subscriptions = try queries.subscriptionCounts().map { row -> MustacheValue in
            ["plan": .string(row.plan), "status": .string(row.status), "count": .integer(row.count)]
        }
        let catalog = try services.catalog.load()
        let revenue = Self.monthlyRevenue(units: try queries.payingQuantities(), catalog: catalog)
        let days = ConsoleCharts.Days.last(ConsoleCharts.dayCount, now: Date())
        let changes = try queries.subscriptionStartsAndCancellations(days: days)
        return page("overview", title: "Overview", viewer: viewer, nav: "overview", data: [
            "customers": .integer(try queries.customerCount()),
            "subscriptions": .array(subscriptions),
            "revenue": .array(revenue.totals.map { ["currency": .string($0.currency), "amount": .string(MoneyFormat.text($0.minor, currency: $0.currency))] }),
            "severalPrices": Self.namedList(revenue.severalPrices), "unpriced": Self.namedList(revenue.unpriced),
            "subscriptionChart": ConsoleCharts.daily(id: "subscription-chart", subject: "Subscriptions started and canceled per day", days: days, series: [
                ConsoleCharts.Series(name: "started", style: "started", values: changes.started),
                ConsoleCharts.Series(name: "canceled", style: "canceled", values: changes.canceled),
            ]),
            "stripePending": .integer(stripe[.pending] ?? 0), "stripeFailed": .integer(stripe[.failed] ?? 0),
            "stripeUnsupported": .integer(stripe[.unsupportedVersion] ?? 0),
            "outboxPending": .integer(outbox[.pending] ?? 0), "outboxDead": .integer(outbox[.dead] ?? 0),
        ])
    }

    func customers(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        let search = (request.queryValue("q") ?? "").trimmingCharacters(in: .whitespaces)
        let pageRequest = try PageRequest(limit: Self.pageSize, startingAfter: request.queryValue("starting_after").flatMap { $0.isEmpty ? nil : $0 })
        let rows: Page<ConsoleQueries.CustomerRow>
        if search.isEmpty {
            let page = try services.customers.list(page: pageRequest)
            rows = Page(items: page.items.map {
                ConsoleQueries.CustomerRow(externalID: $0.externalID, email: $0.email, name: $0.name, stripeCustomerID: $0.stripeCustomerID, createdAt: $0.createdAt)
            }, hasMore: page.hasMore)
        } else {
            rows = try queries.searchCustomers(search, page: pageRequest)
        }
        var next: MustacheValue = .null
        if rows.hasMore, let last = rows.items.last {
            var query = "starting_after=" + PercentEncoding.encode(last.externalID)
            if !search.isEmpty { query += "&q=" + PercentEncoding.encode(search) }
            next = .string("/admin/customers?" + query)
        }
        return page("customers", title: "Customers", viewer: viewer, nav: "customers", data: [
            "q": .string(search),
            "customers": .array(rows.items.map { row in
                [
                    "externalId": .string(row.externalID), "href": .string(Self.customerPath(row.externalID)),
                    "email": Self.optional(row.email), "name": Self.optional(row.name), "stripeCustomerId": Self.optional(row.stripeCustomerID),
                    "createdAt": .string(Self.time(row.createdAt)),
                ]
            }),
            "next": next,
        ])
    }

    func customer(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        let externalID = try request.pathParameter("external_id")
        let customer = try services.customers.get(externalID: externalID)
        let subscription = try services.subscriptions.current(customer: externalID)
        let history = try services.subscriptions.history(customer: externalID).reversed()
        let snapshot = try services.entitlements.snapshot(customer: externalID)
        let grants = try services.grants.list(customer: externalID).reversed()
        let now = Date()
        let features = snapshot.entitlements.values.sorted { $0.feature.rawValue < $1.feature.rawValue }
        let path = Self.customerPath(externalID)
        return page("customer", title: "Customer \(externalID)", viewer: viewer, nav: "customers", data: try customerSections(
            customer, snapshot: snapshot, viewer: viewer, now: now
        ).merging([
            "customer": [
                "externalId": .string(customer.externalID), "email": Self.optional(customer.email), "name": Self.optional(customer.name),
                "stripeCustomerId": Self.optional(customer.stripeCustomerID), "createdAt": .string(Self.time(customer.createdAt)),
                "href": .string(path),
            ],
            "subscription": subscription.map { subscription -> MustacheValue in
                [
                    "plan": .string(subscription.state.planKey), "status": .string(subscription.state.status.rawValue),
                    "quantity": .integer(subscription.state.quantity),
                    "periodEnd": Self.optional(subscription.state.currentPeriodEnd.map(Self.time)),
                    "cancelAtPeriodEnd": .bool(subscription.state.cancelAtPeriodEnd),
                    "stripeSubscriptionId": Self.optional(subscription.stripeSubscriptionID),
                ]
            } ?? .null,
            "history": .array(history.map { entry in
                [
                    "plan": .string(entry.plan), "status": .string(entry.status.rawValue), "quantity": .integer(entry.quantity),
                    "source": .string(entry.source), "changedAt": .string(Self.time(entry.changedAt)),
                ]
            }),
            "entitlements": .array(features.map(Self.entitlementRow)),
            "featureKeys": .array(features.map { .string($0.feature.rawValue) }),
            "grants": .array(grants.map { grant in
                let active = grant.revokedAt == nil && (grant.expiresAt.map { $0 > now } ?? true)
                return [
                    "id": .string(grant.id), "feature": .string(grant.feature.rawValue), "value": .string(Self.valueText(grant.value)),
                    "reason": .string(grant.reason), "grantedBy": .string(grant.grantedBy), "createdAt": .string(Self.time(grant.createdAt)),
                    "expiresAt": Self.optional(grant.expiresAt.map(Self.time)), "revokedAt": Self.optional(grant.revokedAt.map(Self.time)),
                    "active": .bool(active), "revokeHref": .string(path + "/grants/" + PercentEncoding.encode(grant.id) + "/revoke"),
                ]
            }),
            "grantHref": .string(path + "/grants"),
            "mails": .array(try queries.recentMail(customerID: customer.id, limit: Self.recentMailCount).map { mail in
                [
                    "id": .string(mail.id), "href": .string("/admin/outbox/" + PercentEncoding.encode(mail.id)), "template": .string(mail.template),
                    "recipient": .string(mail.recipient), "status": .string(mail.status), "createdAt": .string(Self.time(mail.createdAt)),
                ]
            }),
        ]) { _, page in page })
    }

    /// The catalog as applied: features and plans with their prices and entitlements (read-only here;
    /// `tollgate catalog apply` changes it).
    func catalog(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        let catalog = try services.catalog.load()
        return page("catalog", title: "Catalog", viewer: viewer, nav: "catalog", data: [
            "revision": .integer(Int(try services.catalog.revision())),
            "features": .array(catalog.features.map { feature in
                [
                    "key": .string(feature.key.rawValue), "name": .string(feature.name), "kind": .string(feature.kind.rawValue),
                    "reset": Self.optional(feature.reset?.rawValue),
                ]
            }),
            "plans": .array(catalog.plans.map { plan in
                [
                    "key": .string(plan.key), "name": .string(plan.name), "status": .string(plan.status.rawValue), "isDefault": .bool(plan.isDefault),
                    "trialDays": .integer(plan.trialDays),
                    "prices": .array(plan.prices.map { .string(MoneyFormat.recurring($0.unitAmount, currency: $0.currency, per: $0.interval.rawValue)) }),
                    "entitlements": .array(plan.entitlements.sorted { $0.key.rawValue < $1.key.rawValue }.map { key, value in
                        ["feature": .string(key.rawValue), "value": .string(Self.valueText(value))]
                    }),
                ]
            }),
        ])
    }

    func createGrant(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        let externalID = try request.pathParameter("external_id")
        let form = ConsoleHTTP.form(request)
        guard let feature = FeatureKey(rawValue: (form["feature"] ?? "").trimmingCharacters(in: .whitespaces)) else {
            throw DomainError.invalid("feature", "choose a feature")
        }
        let value = try Self.grantValue(form["value"] ?? "")
        let expiresAt = try Self.expiry(form["expires_at"] ?? "")
        _ = try services.grants.create(
            customer: externalID, GrantRequest(feature: feature, value: value, reason: form["reason"] ?? "", expiresAt: expiresAt),
            grantedBy: "console: api key \(viewer.key.name)")
        return ConsoleHTTP.redirect(Self.customerPath(externalID))
    }

    func revokeGrant(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        let externalID = try request.pathParameter("external_id")
        _ = try services.grants.revoke(customer: externalID, grant: try request.pathParameter("grant_id"))
        return ConsoleHTTP.redirect(Self.customerPath(externalID))
    }

    // MARK: Revenue

    /// Monthly recurring revenue, one figure per currency (minor units), from the catalog's prices:
    /// each plan's units paid for (``ConsoleQueries/payingQuantities()``: active and past-due
    /// subscriptions, times their quantity) at the plan's price — its first, month before year and
    /// then by currency, the price its mails name (`CatalogRepository.planSummary`), since Tollgate
    /// does not record which of a plan's prices a subscription pays. A yearly price counts a twelfth,
    /// rounded once per currency. `severalPrices` names the plans so counted that have more than one
    /// price; `unpriced` the plans with paying subscriptions and no price (they count nothing).
    static func monthlyRevenue(units: [String: Int64], catalog: Catalog) -> (totals: [(currency: String, minor: Int64)], severalPrices: [String], unpriced: [String]) {
        var twelfths: [String: Int64] = [:]
        var severalPrices: [String] = []
        var unpriced: [String] = []
        for plan in catalog.plans.sorted(by: { $0.key < $1.key }) {
            guard let quantity = units[plan.key], quantity > 0 else { continue }
            guard let price = plan.prices.min(by: { ($0.interval.rawValue, $0.currency) < ($1.interval.rawValue, $1.currency) }) else {
                unpriced.append(plan.key)
                continue
            }
            if plan.prices.count > 1 { severalPrices.append(plan.key) }
            let perYear = price.interval == .year ? price.unitAmount : price.unitAmount * 12
            twelfths[price.currency, default: 0] += perYear * quantity
        }
        let totals = twelfths.sorted { $0.key < $1.key }.map { currency, total in
            (currency: currency, minor: (total + 6) / 12)
        }
        return (totals, severalPrices, unpriced)
    }

    // MARK: Presentation

    /// Names for a sentence: each with the separator that follows it (`, ` but after the last).
    static func namedList(_ names: [String]) -> MustacheValue {
        .array(names.indices.map { ["name": .string(names[$0]), "separator": .string($0 < names.count - 1 ? ", " : "")] })
    }

    static let pageSize = 25
    /// How many of a customer's mails their page lists (newest first; the outbox page has them all).
    static let recentMailCount = 20

    static func customerPath(_ externalID: String) -> String { "/admin/customers/" + PercentEncoding.encode(externalID) }

    static func optional(_ text: String?) -> MustacheValue { text.map { .string($0) } ?? .null }

    /// An instant as operators read it: `2026-12-07 22:09 UTC`.
    static func time(_ date: Date) -> String {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : String($0) } ?? "00" }
        return "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute)) UTC"
    }

    static func valueText(_ value: EntitlementValue?) -> String {
        switch value {
        case .enabled: "on"
        case .limit(let number): String(number)
        case .unlimited: "unlimited"
        case nil: "—"
        }
    }

    /// One row of the entitlement table; `bar` (0–100, the share of the allowance used) when the
    /// feature has a numeric allowance and a count.
    static func entitlementRow(_ entitlement: FeatureEntitlement) -> MustacheValue {
        var row: [String: MustacheValue] = [
            "feature": .string(entitlement.feature.rawValue), "kind": .string(entitlement.kind.rawValue),
            "value": .string(valueText(entitlement.value)), "source": .string(entitlement.source.rawValue),
            "used": entitlement.used.map { .integer(Int($0)) } ?? .null, "remaining": entitlement.remaining.map { .integer(Int($0)) } ?? .null,
            "resetsAt": optional(entitlement.resetsAt.map(time)), "denial": optional(entitlement.denial?.rawValue),
        ]
        if case .limit(let allowance) = entitlement.value, let used = entitlement.used {
            row["bar"] = ConsoleCharts.usageBar(used: used, allowance: allowance)
        }
        return .object(row)
    }

    /// A grant's value as the form writes it: `true`, a whole number, or `unlimited`.
    static func grantValue(_ text: String) throws -> EntitlementValue {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch text {
        case "true", "on": return .enabled
        case "unlimited": return .unlimited
        default:
            guard let number = Int64(text) else { throw DomainError.invalid("value", "write true, a whole number or unlimited") }
            return .limit(number)
        }
    }

    /// The optional expiry: empty, RFC 3339, or a form's `datetime-local` value (`2026-12-31T18:00`), read as UTC.
    static func expiry(_ text: String) throws -> Date? {
        let text = text.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        for candidate in [text, text + "Z", text + ":00Z"] {
            if let date = try? Date(candidate, strategy: .iso8601) { return date }
        }
        throw DomainError.invalid("expires_at", "write a time such as 2026-12-31T18:00 (UTC)")
    }
}
