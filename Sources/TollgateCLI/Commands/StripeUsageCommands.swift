import Foundation
import Tollgate
import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateStore

/// `tollgate stripe usage status|reconcile`: the meter-event export (docs/usage-billing.md).
enum StripeUsageCommands {
    static let group = Command.group("usage", summary: "Usage billed by Stripe: the meter-event export", [
        Command(Status.self), Command(Reconcile.self),
    ])

    struct Status: ParsableCommand {
        static let name = "status"
        static let summary = "Per billed feature: usage exported up to when, events sent, pending, late, too old and rejected"
        static let discussion = """
            SCANNED TO: usage recorded before it has been folded into meter events; SENT THROUGH: the last one-minute
            bucket Stripe accepted. PENDING events are sent by `serve`'s exporter; LATE ones (their billing period's
            invoice had closed), TOO OLD ones (over 35 days) and REJECTED ones (Stripe refused them) are never sent:
            bill them by hand or credit them. A feature billed in the catalog but never exported shows empty counts.
            """

        func run(_ context: CommandContext) throws {
            let features = try context.perform(APIRequest(.GET, "/v1/stripe/usage-export")) { services in
                Page(all: try UsageExportStatus(services: services).features(billed: try services.catalog.load().billedFeatures.map(\.key)))
            }.items
            func tally(_ tally: UsageExportStatus.Tally) -> String { tally.count == 0 ? "0" : "\(tally.count) (\(tally.quantity) units)" }
            let columns: [Column<UsageExportStatus.FeatureStatus>] = [
                Column("FEATURE") { $0.feature }, Column("EVENT NAME") { $0.eventName },
                Column("SCANNED TO") { $0.scannedTo.map(HumanTime.text) ?? "never" },
                Column("SENT THROUGH") { $0.sentThrough.map(HumanTime.text) ?? "-" }, Column("SENT") { tally($0.sent) },
                Column("PENDING") { tally($0.pending) }, Column("LATE") { tally($0.late) }, Column("TOO OLD") { tally($0.tooOld) },
                Column("REJECTED") { tally($0.rejected) }, Column("LAST ERROR") { $0.lastError ?? "" },
            ]
            try context.emit(Page(all: features), columns: columns)
        }
    }

    struct Reconcile: ParsableCommand {
        static let name = "reconcile"
        static let summary = "Compare the usage counted with what was exported (and, with --stripe, with Stripe's meter totals)"
        static let discussion = """
            Per customer and billed feature, usage recorded in [--since, --until) (rounded down to the minute):
            COUNTED (usage_events), SENT (accepted by Stripe), PENDING, NOT BILLED (late, too old or rejected) and
            UNPLANNED (counted but not yet reached by the exporter; negative if less is counted than was exported).
            --stripe also sums Stripe's meter event summaries over the range (GET /v1/billing/meters/{id}/event_summaries);
            Stripe aggregates asynchronously, so the newest minutes may lag. Lists the pairs that differ (all
            with --all); exit 1 when any differs.
            """

        @Option("--since", "ISO8601", "Start of the range (default: 35 days ago)") var since: Date?
        @Option("--until", "ISO8601", "End of the range (default: now)") var until: Date?
        @Flag("--stripe", "Compare with Stripe's meter event summaries too") var compareWithStripe: Bool
        @Flag("--all", "List matching pairs too") var all: Bool

        func run(_ context: CommandContext) throws {
            let now = Date()
            let rows = try context.withServices { services in
                let billed = try services.catalog.load().billedFeatures.map(\.key)
                if compareWithStripe && services.stripe == nil { throw BillingError.notConfigured }
                return try UsageExportStatus(services: services).reconcile(
                    from: since ?? now.addingTimeInterval(-35 * 86_400), to: until ?? now, features: billed,
                    stripe: compareWithStripe ? services.stripe : nil)
            }
            let differing = rows.filter { !$0.isEmpty }
            let columns: [Column<UsageExportStatus.Difference>] = [
                Column("FEATURE") { $0.feature }, Column("CUSTOMER") { $0.customer }, Column("STRIPE CUSTOMER") { $0.stripeCustomer },
                Column("COUNTED") { String($0.counted) }, Column("SENT") { String($0.sent) }, Column("PENDING") { String($0.pending) },
                Column("NOT BILLED") { String($0.notBilled) }, Column("UNPLANNED") { String($0.unplanned) },
                Column("STRIPE") { $0.stripe.map(String.init) ?? "-" },
            ]
            try context.emit(Page(all: all ? rows : differing), columns: columns)
            if !differing.isEmpty {
                throw CommandFailure("\(differing.count) customer/feature pair\(differing.count == 1 ? "" : "s") differ between counted and exported usage")
            }
        }
    }
}
