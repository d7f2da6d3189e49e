import Tollgate
import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer

/// The catalog, read-only over the API (it is changed with `tollgate plans apply`).
enum CatalogRoutes {
    static func endpoints(repository: CatalogRepository) -> [Endpoint] {
        [
            Endpoint(.GET, "/v1/plans", scope: .read, documentation: .init(
                "listPlans", summary: "List the catalog's plans (all of them: the catalog is small)", tag: "Catalog", responseSchema: "PlanList")
            ) { _, _ in
                try .json(Page(all: try repository.load().plans))
            },
            Endpoint(.GET, "/v1/plans/{key}", scope: .read, documentation: .init(
                "getPlan", summary: "Show one plan with its prices, entitlements and rate limits", tag: "Catalog", responseSchema: "Plan")
            ) { request, _ in
                let key = try request.pathParameter("key")
                guard let plan = try repository.load().plan(key) else { throw DomainError.notFound("plan \(key)") }
                return try .json(plan)
            },
            Endpoint(.GET, "/v1/features", scope: .read, documentation: .init(
                "listFeatures", summary: "List the catalog's features", tag: "Catalog", responseSchema: "FeatureList")
            ) { _, _ in
                try .json(Page(all: try repository.load().features))
            },
        ]
    }
}
