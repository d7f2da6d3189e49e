import TollgateCore

/// `tollgate stripe sync`: reconciliation with Stripe.
enum StripeCommands {
    static let group = Command.group("stripe", summary: "Reconcile local state with Stripe", [Command(Sync.self)])

    struct Sync: ParsableCommand {
        static let name = "sync"
        static let summary = "Page through Stripe's customers and subscriptions, repair local state that drifted, report each change"
        static let discussion = """
            Needs TOLLGATE_STRIPE_API_KEY (and TOLLGATE_STRIPE_API_BASE for a test peer).
            1. Links each Stripe customer whose metadata tollgate_customer is an unlinked customer's external id.
            2. Mirrors every Stripe subscription (status=all) through the code that applies subscription
               webhooks; Stripe's object is recorded as the newest state (later, older webhooks are stale).
            3. Cancels local live subscriptions that Stripe no longer has (404), once both listings went through.
            Each object is repaired in its own transaction. --dry-run makes the same writes in transactions
            that are rolled back. Progress goes to stderr, a line per page. Exit 1 when Stripe is not
            configured, a listing failed part-way (what was repaired before stays repaired), or an object
            could not be repaired — after the report, with or without --json.
            """

        @Flag("--dry-run", "Report what would change; write nothing") var dryRun: Bool

        func run(_ context: CommandContext) throws {
            guard try context.configuration().stripeAPIKey != nil else {
                throw CommandFailure("Stripe is not configured: set TOLLGATE_STRIPE_API_KEY (and TOLLGATE_STRIPE_API_BASE for a test peer)")
            }
            let report = try context.withServices { services in
                let reconciler: StripeReconciler
                do {
                    reconciler = try StripeReconciler(services: services)
                } catch let error as StripeNotConfigured {
                    throw CommandFailure(error.description)
                }
                return reconciler.run(dryRun: dryRun) { line in context.output.error(line) }
            }
            try context.emit(report) { Self.printText(report, output: $0) }
            if let error = report.error {
                throw CommandFailure("stripe sync stopped early: \(error). Changes listed above were \(dryRun ? "not written (dry run)" : "applied"); run it again.")
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
