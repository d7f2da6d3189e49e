import TollgateBilling
import TollgateCore

/// `tollgate stripe sync` (reconciliation with Stripe) and `tollgate stripe usage …` (the meter-event export).
enum StripeCommands {
    static let group = Command.group("stripe", summary: "Reconcile local state with Stripe; the usage it bills", [
        Command(Sync.self), StripeUsageCommands.group,
    ])

    struct Sync: ParsableCommand {
        static let name = "sync"
        static let summary = "Make every customer agree with Stripe's customers and subscriptions; report each change"
        static let discussion = """
            Needs TOLLGATE_STRIPE_API_KEY (and TOLLGATE_STRIPE_API_BASE for a test peer). Reads Stripe's objects,
            never its event list:
            1. Every Stripe customer and every subscription (status=all); then each linked customer and recorded
               subscription the listings did not return (404 or deleted: true: deleted or gone).
            2. Each Stripe object belongs to one customer: a Stripe customer by its link, else its metadata
               tollgate_customer, else its subscriptions' metadata; a subscription by its customer's link, else
               the customer Tollgate recorded it under, else its own metadata.
            3. Per customer, one transaction: the link moves to its best live Stripe customer (a deleted one is
               recorded and never linked again), email and name become Stripe's, and every subscription is
               mirrored through the code that applies subscription webhooks (Stripe's object is recorded as the
               newest state), so the current subscription is the rule's pick over all of them.
            --dry-run runs each customer's transaction and rolls it back: it reports exactly what a real run
            changes. Progress goes to stderr. Exit 1 when Stripe is not configured (stripe_not_configured), the
            reading failed (nothing is written then; run it again), or an object could not be repaired — after
            the report, with or without --json.
            """

        @Flag("--dry-run", "Report what would change; write nothing") var dryRun: Bool

        func run(_ context: CommandContext) throws {
            let report = try context.withServices { services in
                try StripeReconciler(services: services).run(dryRun: dryRun) { line in context.output.error(line) }
            }
            try context.emit(report) { Self.printText(report, output: $0) }
            if let error = report.error {
                throw CommandFailure("stripe sync stopped while reading Stripe: \(error). Nothing was written; run it again.")
            }
            if !report.failed.isEmpty {
                throw CommandFailure("\(report.failed.count) Stripe object\(report.failed.count == 1 ? "" : "s") could not be reconciled")
            }
        }

        private static func printText(_ report: StripeReconciler.Report, output: Output) {
            let verb = report.dryRun ? "Would change" : "Changed"
            for change in report.changes { output.print("\(report.dryRun ? "would: " : "")\(change.summary)") }
            for skipped in report.skipped { output.print("skipped \(skipped.stripeID): \(skipped.message)") }
            for failed in report.failed { output.print("failed \(failed.stripeID): \(failed.message)") }
            output.print("\(verb) \(report.changes.count), skipped \(report.skipped.count), failed \(report.failed.count); "
                + "scanned \(report.customersScanned) customers, \(report.subscriptionsScanned) subscriptions"
                + (report.dryRun ? " (dry run: nothing written)." : "."))
        }
    }
}
