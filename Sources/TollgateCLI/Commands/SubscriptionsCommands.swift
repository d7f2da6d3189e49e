import Foundation
import Tollgate
import TollgateCore
import TollgateEntitlements
import TollgateStore

/// `tollgate subscriptions show|set|history` and the Stripe billing commands (``BillingCommands``).
enum SubscriptionsCommands {
    static let group = Command.group("subscriptions", summary: "Show and set customers' subscriptions",
                                     [Command(Show.self), Command(SetState.self), Command(History.self)] + BillingCommands.all)

    struct Show: ParsableCommand {
        static let name = "show"
        static let summary = "The customer's current subscription"

        @Argument("CUSTOMER") var customer: String

        func run(_ context: CommandContext) throws {
            let subscription = try context.perform(APIRequest(.GET, "/v1/customers/\(customer)/subscription")) { services in
                guard let subscription = try services.subscriptions.current(customer: customer) else {
                    throw DomainError.noSubscription(customer: customer)
                }
                return subscription
            }
            try context.emit(subscription) { output in
                let state = subscription.state
                output.print("\(subscription.customer): \(state.planKey), \(state.status.rawValue), quantity \(state.quantity)"
                    + (state.cancelAtPeriodEnd ? ", cancels at period end" : ""))
                if let end = state.currentPeriodEnd { output.print("  current period ends \(HumanTime.text(end))") }
            }
        }
    }

    struct SetState: ParsableCommand {
        static let name = "set"
        static let summary = "Set the customer's subscription (kept in its history)"

        @Argument("CUSTOMER") var customer: String
        @Option("--plan", "KEY", "Plan key") var plan: String
        @Option("--status", "STATUS", "Subscription status") var status: SubscriptionStatus
        @Option("--quantity", "N", "Seats (default: unchanged, or 1)") var quantity: Int?
        @Option("--period-end", "ISO8601", "End of the current period (start: now)") var periodEnd: Date?
        @Flag("--cancel-at-period-end", "Keep access until the period ends, then stop") var cancelAtPeriodEnd: Bool

        func run(_ context: CommandContext) throws {
            var change = SubscriptionChange(plan: plan, status: status)
            change.quantity = quantity
            if let periodEnd {
                change.currentPeriodStart = Date()
                change.currentPeriodEnd = periodEnd
            }
            if cancelAtPeriodEnd { change.cancelAtPeriodEnd = true }
            let subscription = try context.perform(try APIRequest(.POST, "/v1/customers/\(customer)/subscription", body: change)) {
                try $0.subscriptions.set(customer: customer, change, source: "cli")
            }
            try context.emit(subscription) {
                $0.print("\(subscription.customer) is now on \(subscription.state.planKey) (\(subscription.state.status.rawValue)).")
            }
        }
    }

    struct History: ParsableCommand {
        static let name = "history"
        static let summary = "Every state of the customer's subscription"

        @Argument("CUSTOMER") var customer: String

        func run(_ context: CommandContext) throws {
            let entries = try context.perform(APIRequest(.GET, "/v1/customers/\(customer)/subscription/history")) {
                Page(all: try $0.subscriptions.history(customer: customer))
            }
            try context.emit(entries, columns: [
                Column("CHANGED") { HumanTime.text($0.changedAt) }, Column("PLAN") { $0.plan }, Column("STATUS") { $0.status.rawValue },
                Column("QUANTITY") { String($0.quantity) }, Column("SOURCE") { $0.source },
            ])
        }
    }
}

/// `tollgate grants create|list|revoke`: per-customer overrides.
enum GrantsCommands {
    static let group = Command.group("grants", summary: "Grant, list and revoke per-customer overrides", [Command(Create.self), Command(List.self), Command(Revoke.self)])

    struct Create: ParsableCommand {
        static let name = "create"
        static let summary = "Grant a customer a feature, a higher limit or extra quota"

        @Argument("CUSTOMER") var customer: String
        @Option("--feature", "KEY", "Feature key") var feature: FeatureKey
        @Option("--value", "VALUE", "true, a whole number, or unlimited") var value: EntitlementValue
        @Option("--reason", "TEXT", "Why") var reason: String
        @Option("--expires-at", "ISO8601", "When it stops counting") var expiresAt: Date?
        @Option("--granted-by", "NAME", "Who (default: the operator's $USER)") var grantedBy: String?

        func run(_ context: CommandContext) throws {
            let author = grantedBy ?? context.environment["USER"].map { "cli:\($0)" } ?? "cli"
            let request = GrantRequest(feature: feature, value: value, reason: reason, expiresAt: expiresAt)
            let grant = try context.perform(try APIRequest(.POST, "/v1/customers/\(customer)/grants", body: request)) {
                try $0.grants.create(customer: customer, request, grantedBy: author)
            }
            try context.emit(grant) {
                $0.print("Granted \(grant.feature) = \(EntitlementsCommands.describe(grant.value)) to \(customer) (\(grant.id)).")
            }
        }
    }

    struct List: ParsableCommand {
        static let name = "list"
        static let summary = "The customer's grants"

        @Argument("CUSTOMER") var customer: String

        func run(_ context: CommandContext) throws {
            let grants = try context.perform(APIRequest(.GET, "/v1/customers/\(customer)/grants")) { Page(all: try $0.grants.list(customer: customer)) }
            let now = Date()
            try context.emit(grants, columns: [
                Column("ID") { $0.id }, Column("FEATURE") { $0.feature.rawValue }, Column("VALUE") { EntitlementsCommands.describe($0.value) },
                Column("ACTIVE") { $0.isActive(at: now) ? "yes" : "no" }, Column("REASON") { $0.reason }, Column("BY") { $0.grantedBy },
                Column("EXPIRES") { $0.expiresAt.map(HumanTime.text) ?? "" },
            ])
        }
    }

    struct Revoke: ParsableCommand {
        static let name = "revoke"
        static let summary = "Revoke a grant"

        @Argument("CUSTOMER") var customer: String
        @Argument("GRANT_ID") var grantID: String
        var confirmation = Confirmation()

        func run(_ context: CommandContext) throws {
            try confirmation.confirm("Revoke grant \(grantID) of \(customer)", context)
            let grant = try context.perform(APIRequest(.DELETE, "/v1/customers/\(customer)/grants/\(grantID)")) {
                try $0.grants.revoke(customer: customer, grant: grantID)
            }
            try context.emit(grant) { $0.print("Revoked \(grant.id).") }
        }
    }
}
