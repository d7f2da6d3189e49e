import Foundation
import Tollgate
import TollgateBase
import TollgateBilling
import TollgateCore
import TollgateEntitlements

/// `tollgate plans apply|list|show|push`.
enum PlansCommands {
    static let group = Command.group("plans", summary: "Manage the catalog of features and plans as code", [
        Command(Apply.self), Command(List.self), Command(Show.self), Command(Push.self),
    ])

    struct Push: ParsableCommand {
        static let name = "push"
        static let summary = "Push the catalog to Stripe: Products, Prices (by lookup key) and Entitlements features"
        static let discussion = """
            Needs TOLLGATE_STRIPE_API_KEY. A plan is a Product (metadata tollgate_plan); each price a Price with lookup key \
            tollgate:<plan>:<interval>:<currency>; a changed amount makes a new Price and archives the old; an archived plan \
            archives its Prices and Product; boolean features become Entitlements features attached to the plans' products. \
            A second push with nothing changed writes nothing. See docs/stripe-billing.md.
            """

        @Flag("--dry-run", "Read Stripe and show what would change; write nothing") var dryRun: Bool

        func run(_ context: CommandContext) throws {
            let report = try context.perform(APIRequest(.POST, "/v1/plans/push", query: [("dry_run", dryRun ? "true" : nil)])) {
                try $0.catalogPush.push(dryRun: dryRun)
            }
            try context.emit(report) { output in
                for change in report.changes { output.print(change.description) }
                for note in report.notes { output.print("note: \(note)") }
                if !report.changes.isEmpty || !report.notes.isEmpty { output.print() }
                output.print(report.isEmpty
                    ? "Stripe already matches the catalog: nothing written."
                    : (report.dryRun ? "Dry run, nothing written: would have " : "Pushed: ") + report.summary + ".")
            }
        }
    }

    struct Apply: ParsableCommand {
        static let name = "apply"
        static let summary = "Apply a catalog file: show the diff, then change the store in one transaction"
        static let discussion = """
            The file holds every feature and plan (see docs/catalog.md and examples/catalog.json). Plans missing from it are \
            archived. An invalid catalog changes nothing; each problem names its place.
            """

        @Argument("FILE") var path: String
        @Flag("--dry-run", "Only show what would change") var dryRun: Bool
        var confirmation = Confirmation()

        struct Applied: Encodable { var dryRun: Bool; var applied: Bool; var changes: [CatalogDiff.Change] }

        func run(_ context: CommandContext) throws {
            guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read \(path)") }
            let catalog = try Catalog.parse(data)
            let diff = try context.withServices { services in
                if !dryRun { try confirmArchiving(catalog, services, context) }
                return try services.catalog.apply(catalog, dryRun: dryRun)
            }
            try context.emit(Applied(dryRun: dryRun, applied: !dryRun && !diff.isEmpty, changes: diff.changes)) { output in
                guard !diff.isEmpty else { return output.print("No changes: the store already matches \(path).") }
                for change in diff.changes { output.print(change.description) }
                output.print()
                let count = "\(diff.changes.count) change\(diff.changes.count == 1 ? "" : "s")"
                output.print(dryRun ? "Dry run: \(count) not applied." : "Applied \(count).")
            }
        }
    }

}

extension PlansCommands.Apply {
    /// Archiving a plan that customers are on (missing from the file, or listed as archived) is
    /// destructive: the operator confirms it (``Confirmation``) before anything is written.
    func confirmArchiving(_ target: Catalog, _ services: Services, _ context: CommandContext) throws {
        var affected: [String] = []
        for plan in try services.catalog.load().plans where plan.status != .archived && (target.plan(plan.key)?.status ?? .archived) == .archived {
            let customers = try services.subscriptions.customerCount(onPlan: plan.key)
            if customers > 0 { affected.append("\(plan.key) (\(customers) customer\(customers == 1 ? "" : "s") on it)") }
        }
        guard !affected.isEmpty else { return }
        try confirmation.confirm("Archive plan \(affected.joined(separator: ", "))", context)
    }
}

extension PlansCommands {
    struct List: ParsableCommand {
        static let name = "list"
        static let summary = "List plans"

        func run(_ context: CommandContext) throws {
            let plans = try context.perform(APIRequest(.GET, "/v1/plans")) { Page(all: try $0.catalog.load().plans) }
            try context.emit(plans, columns: [
                Column("KEY") { $0.key }, Column("NAME") { $0.name }, Column("STATUS") { $0.status.rawValue },
                Column("DEFAULT") { $0.isDefault ? "yes" : "" },
                Column("PRICES") { $0.prices.map { MoneyFormat.recurring($0.unitAmount, currency: $0.currency, per: $0.interval.rawValue) }.joined(separator: ", ") },
                Column("FEATURES") { String($0.entitlements.count) },
            ])
        }
    }

    struct Show: ParsableCommand {
        static let name = "show"
        static let summary = "Show one plan"

        @Argument("KEY") var key: String

        func run(_ context: CommandContext) throws {
            let plan = try context.perform(APIRequest(.GET, "/v1/plans/\(key)")) { services in
                guard let plan = try services.catalog.load().plan(key) else { throw DomainError.notFound("plan \(key)") }
                return plan
            }
            try context.emit(plan) { output in
                output.print("\(plan.name) (\(plan.key)), \(plan.status.rawValue)\(plan.isDefault ? ", default plan" : ""), trial \(plan.trialDays) days")
                for price in plan.prices { output.print("  price: \(MoneyFormat.recurring(price.unitAmount, currency: price.currency, per: price.interval.rawValue))") }
                for (feature, value) in plan.entitlements.sorted(by: { $0.key < $1.key }) {
                    output.print("  \(feature): \(EntitlementsCommands.describe(value))")
                }
                for (feature, rule) in plan.perUnit.sorted(by: { $0.key < $1.key }) {
                    output.print("  \(feature): \(rule)")
                }
                for policy in plan.rateLimits {
                    output.print("  rate limit \(policy.name): \(policy.limit) per \(policy.windowSeconds)s, burst \(policy.burst)")
                }
            }
        }
    }
}
