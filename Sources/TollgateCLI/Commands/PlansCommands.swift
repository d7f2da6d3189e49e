import Foundation
import Tollgate
import TollgateCore

/// `tollgate plans apply|list|show|push`.
enum PlansCommands {
    static let command = Command("plans", summary: "Manage the catalog of features and plans as code", subcommands: [apply, list, show, push])

    static let push = Command(
        "push", summary: "Push the catalog to Stripe: Products, Prices (by lookup key) and Entitlements features",
        options: [.flag("--dry-run", "Read Stripe and show what would change; write nothing")],
        discussion: "Needs TOLLGATE_STRIPE_API_KEY. A plan is a Product (metadata tollgate_plan); each price a Price with lookup key tollgate:<plan>:<interval>:<currency>; a changed amount makes a new Price and archives the old; an archived plan archives its Prices and Product; boolean features become Entitlements features attached to the plans' products. A second push with nothing changed writes nothing. See docs/stripe-billing.md."
    ) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let report = try services.catalogPush.push(dryRun: invocation.flag("--dry-run"))
        if invocation.json {
            try invocation.output.printJSON(report)
            return
        }
        for change in report.changes { invocation.output.print(change.description) }
        for note in report.notes { invocation.output.print("note: \(note)") }
        if !report.changes.isEmpty || !report.notes.isEmpty { invocation.output.print() }
        invocation.output.print(report.isEmpty
            ? "Stripe already matches the catalog: nothing written."
            : (report.dryRun ? "Dry run, nothing written: would have " : "Pushed: ") + report.summary + ".")
    }

    static let apply = Command(
        "apply", summary: "Apply a catalog file: show the diff, then change the store in one transaction",
        options: [.flag("--dry-run", "Only show what would change")], arguments: ["FILE"],
        discussion: "The file holds every feature and plan (see docs/catalog.md and examples/catalog.json). Plans missing from it are archived. An invalid catalog changes nothing; each problem names its place."
    ) { invocation in
        let path = invocation.arguments[0]
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read \(path)") }
        let catalog = try Catalog.parse(data)
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let dryRun = invocation.flag("--dry-run")
        let diff = try services.catalog.apply(catalog, dryRun: dryRun)
        if invocation.json {
            struct Applied: Encodable { var dryRun: Bool; var applied: Bool; var changes: [CatalogDiff.Change] }
            try invocation.output.printJSON(Applied(dryRun: dryRun, applied: !dryRun && !diff.isEmpty, changes: diff.changes))
        } else if diff.isEmpty {
            invocation.output.print("No changes: the store already matches \(path).")
        } else {
            for change in diff.changes { invocation.output.print(change.description) }
            invocation.output.print()
            invocation.output.print(dryRun
                ? "Dry run: \(diff.changes.count) change\(diff.changes.count == 1 ? "" : "s") not applied."
                : "Applied \(diff.changes.count) change\(diff.changes.count == 1 ? "" : "s").")
        }
    }

    static let list = Command("list", summary: "List plans") { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let plans = try services.catalog.load().plans
        if invocation.json {
            try invocation.output.printJSON(plans)
        } else {
            invocation.output.printTable(["KEY", "NAME", "STATUS", "DEFAULT", "PRICES", "FEATURES"], plans.map { plan in
                [plan.key, plan.name, plan.status.rawValue, plan.isDefault ? "yes" : "",
                 plan.prices.map { "\($0.unitAmount) \($0.currency)/\($0.interval.rawValue)" }.joined(separator: ", "),
                 String(plan.entitlements.count)]
            })
        }
    }

    static let show = Command("show", summary: "Show one plan", arguments: ["KEY"]) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let key = invocation.arguments[0]
        guard let plan = try services.catalog.load().plan(key) else { throw DomainError.notFound("plan \(key)") }
        if invocation.json {
            try invocation.output.printJSON(plan)
        } else {
            invocation.output.print("\(plan.name) (\(plan.key)), \(plan.status.rawValue)\(plan.isDefault ? ", default plan" : ""), trial \(plan.trialDays) days")
            for price in plan.prices { invocation.output.print("  price: \(price.unitAmount) \(price.currency) per \(price.interval.rawValue)") }
            for (feature, value) in plan.entitlements.sorted(by: { $0.key < $1.key }) {
                invocation.output.print("  \(feature): \(EntitlementsCommands.describe(value))")
            }
            for policy in plan.rateLimits {
                invocation.output.print("  rate limit \(policy.name): \(policy.limit) per \(policy.windowSeconds)s, burst \(policy.burst)")
            }
        }
    }
}
