import Tollgate
import TollgateBilling
import TollgateEntitlements
import TollgateHTTPServer

/// The meter-event export's status (docs/usage-billing.md), as `tollgate stripe usage status`
/// shows it: per billed feature how far usage was exported and how its meter events ended.
enum UsageExportRoutes {
    static func endpoints(status: UsageExportStatus, catalog: CatalogRepository) -> [Endpoint] {
        [
            Endpoint(.GET, "/v1/stripe/usage-export", scope: .admin, documentation: .init(
                "getUsageExport",
                summary: "Per feature billed per unit: usage folded into meter events up to when, the last bucket Stripe accepted, and the "
                    + "events sent, pending, late (their invoice had closed), too old and rejected. Reads the store only.",
                tag: "Billing", responseSchema: "UsageExportList")
            ) { _, _ in
                try .json(Page(all: try status.features(billed: try catalog.load().billedFeatures.map(\.key))))
            },
        ]
    }
}
