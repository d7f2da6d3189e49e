import Foundation
import Tollgate
import TollgateCore
import TollgateStore

/// `tollgate subscriptions show|set|history` and `tollgate grants create|list|revoke`.
enum SubscriptionsCommands {
    static let command = Command("subscriptions", summary: "Show and set customers' subscriptions", subcommands: [show, set, history] + BillingCommands.all)

    static let show = Command("show", summary: "The customer's current subscription", arguments: ["CUSTOMER"]) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        guard let subscription = try services.subscriptions.current(customer: invocation.arguments[0]) else {
            throw DomainError.noSubscription(customer: invocation.arguments[0])
        }
        if invocation.json {
            try invocation.output.printJSON(subscription)
        } else {
            let state = subscription.state
            invocation.output.print("\(subscription.customer): \(state.planKey), \(state.status.rawValue), quantity \(state.quantity)"
                + (state.cancelAtPeriodEnd ? ", cancels at period end" : ""))
            if let end = state.currentPeriodEnd { invocation.output.print("  current period ends \(SQLTimestamp.format(end))") }
        }
    }

    static let set = Command(
        "set", summary: "Set the customer's subscription (kept in its history)",
        options: [
            .value("--plan", "KEY", "Plan key", required: true),
            .value("--status", "STATUS", "Subscription status", required: true, choices: SubscriptionStatus.allCases.map(\.rawValue)),
            .value("--quantity", "N", "Seats (default: unchanged, or 1)"),
            .value("--period-end", "ISO8601", "End of the current period (start: now)"),
            .flag("--cancel-at-period-end", "Keep access until the period ends, then stop"),
        ],
        arguments: ["CUSTOMER"]
    ) { invocation in
        var change = SubscriptionChange(plan: try invocation.required("--plan"), status: SubscriptionStatus(rawValue: try invocation.required("--status")) ?? .active)
        if let text = invocation.value("--quantity") {
            guard let quantity = Int(text) else { throw UsageError("--quantity must be a whole number", command: invocation.path) }
            change.quantity = quantity
        }
        if let text = invocation.value("--period-end") {
            guard let end = try? Date(text, strategy: .iso8601) else { throw UsageError("--period-end must be an ISO 8601 time", command: invocation.path) }
            change.currentPeriodStart = Date()
            change.currentPeriodEnd = end
        }
        if invocation.flag("--cancel-at-period-end") { change.cancelAtPeriodEnd = true }
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let subscription = try services.subscriptions.set(customer: invocation.arguments[0], change, source: "cli")
        if invocation.json {
            try invocation.output.printJSON(subscription)
        } else {
            invocation.output.print("\(subscription.customer) is now on \(subscription.state.planKey) (\(subscription.state.status.rawValue)).")
        }
    }

    static let history = Command("history", summary: "Every state of the customer's subscription", arguments: ["CUSTOMER"]) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let entries = try services.subscriptions.history(customer: invocation.arguments[0])
        if invocation.json {
            try invocation.output.printJSON(entries)
        } else {
            invocation.output.printTable(["CHANGED", "PLAN", "STATUS", "QUANTITY", "SOURCE"], entries.map { entry in
                [SQLTimestamp.format(entry.changedAt), entry.plan, entry.status.rawValue, String(entry.quantity), entry.source]
            })
        }
    }
}

enum GrantsCommands {
    static let command = Command("grants", summary: "Grant, list and revoke per-customer overrides", subcommands: [create, list, revoke])

    static let create = Command(
        "create", summary: "Grant a customer a feature, a higher limit or extra quota",
        options: [
            .value("--feature", "KEY", "Feature key", required: true),
            .value("--value", "VALUE", "true, a whole number, or unlimited", required: true),
            .value("--reason", "TEXT", "Why", required: true),
            .value("--expires-at", "ISO8601", "When it stops counting"),
            .value("--granted-by", "NAME", "Who (default: the operator's $USER)"),
        ],
        arguments: ["CUSTOMER"]
    ) { invocation in
        let feature = try EntitlementsCommands.featureArgument(try invocation.required("--feature"), invocation)
        let valueText = try invocation.required("--value")
        let value: EntitlementValue
        switch valueText {
        case "true": value = .enabled
        case "unlimited": value = .unlimited
        default:
            guard let number = Int64(valueText) else { throw UsageError("--value must be true, a whole number or unlimited", command: invocation.path) }
            value = .limit(number)
        }
        var expiresAt: Date?
        if let text = invocation.value("--expires-at") {
            guard let date = try? Date(text, strategy: .iso8601) else { throw UsageError("--expires-at must be an ISO 8601 time", command: invocation.path) }
            expiresAt = date
        }
        let author = invocation.value("--granted-by") ?? invocation.environment["USER"].map { "cli:\($0)" } ?? "cli"
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let grant = try services.grants.create(
            customer: invocation.arguments[0], GrantRequest(feature: feature, value: value, reason: try invocation.required("--reason"), expiresAt: expiresAt),
            grantedBy: author)
        if invocation.json {
            try invocation.output.printJSON(grant)
        } else {
            invocation.output.print("Granted \(grant.feature) = \(EntitlementsCommands.describe(grant.value)) to \(invocation.arguments[0]) (\(grant.id)).")
        }
    }

    static let list = Command("list", summary: "The customer's grants", arguments: ["CUSTOMER"]) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let grants = try services.grants.list(customer: invocation.arguments[0])
        if invocation.json {
            try invocation.output.printJSON(grants)
        } else {
            let now = Date()
            invocation.output.printTable(["ID", "FEATURE", "VALUE", "ACTIVE", "REASON", "BY", "EXPIRES"], grants.map { grant in
                [grant.id, grant.feature.rawValue, EntitlementsCommands.describe(grant.value), grant.isActive(at: now) ? "yes" : "no",
                 grant.reason, grant.grantedBy, grant.expiresAt.map(SQLTimestamp.format) ?? ""]
            })
        }
    }

    static let revoke = Command("revoke", summary: "Revoke a grant", arguments: ["CUSTOMER", "GRANT_ID"]) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let grant = try services.grants.revoke(customer: invocation.arguments[0], grant: invocation.arguments[1])
        if invocation.json {
            try invocation.output.printJSON(grant)
        } else {
            invocation.output.print("Revoked \(grant.id).")
        }
    }
}
