import Foundation
import Testing
import TollgateTestSupport

/// `tollgate stripe usage status|reconcile` in-process, on both backends.
@Suite struct StripeUsageCommandTests {
    @Test(arguments: Backend.allCases)
    func statusListsBilledFeaturesAndReconcileFindsNothingToReport(backend: Backend) throws {
        let store = try TestDatabase.make(backend)
        defer { withExtendedLifetime(store) {} }
        let environment = TollgateBinary.environment(databaseURL: store.url)
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
        let catalog = FileManager.default.temporaryDirectory.appendingPathComponent("meters-\(UUID().uuidString).json").path
        try """
            {
              "features": [{ "key": "api.requests", "name": "API requests", "kind": "metered", "reset": "month" }],
              "plans": [{ "key": "pro", "name": "Pro", "prices": [{ "interval": "month", "currency": "usd", "unit_amount": 4900 }],
                          "entitlements": { "api.requests": "unlimited" },
                          "metered_prices": { "api.requests": { "unit_amount_decimal": "0.05", "currency": "usd" } } }]
            }
            """.write(toFile: catalog, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: catalog) }
        let applied = InProcessCLI.run(["plans", "apply", catalog], environment: environment)
        #expect(applied.status == 0, "\(applied.standardError)")
        #expect(applied.standardOutput.contains("pro"), "\(applied.standardOutput)")

        let status = InProcessCLI.run(["stripe", "usage", "status"], environment: environment)
        #expect(status.status == 0, "\(status.standardError)")
        #expect(status.standardOutput.contains("api.requests") && status.standardOutput.contains("tollgate.api.requests")
                && status.standardOutput.contains("never"), "\(status.standardOutput)")
        let json = InProcessCLI.run(["stripe", "usage", "status", "--json"], environment: environment)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        let first = try #require((object["data"] as? [[String: Any]])?.first)
        #expect(first["event_name"] as? String == "tollgate.api.requests")
        #expect((first["pending"] as? [String: Any])?["count"] as? Int == 0)

        let reconcile = InProcessCLI.run(["stripe", "usage", "reconcile"], environment: environment)
        #expect(reconcile.status == 0, "\(reconcile.standardError)")
    }
}
