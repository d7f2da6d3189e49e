import Foundation
import Testing
import Tollgate
import TollgateClient
import TollgateCore
import TollgateEntitlements
import TollgateTestSupport

/// The README's library example, compiled and run against a real service.
@Suite struct ReadmeExampleTests {
    @Test func readmeExampleRuns() async throws {
        let harness = try ServiceHarness(.sqlite)
        let readKey = harness.readToken
        _ = try harness.services.subscriptions.set(customer: "org_1", .init(plan: "pro", status: .active), source: "test")

        // --- README example (with the service's URL and a customer of this test) ---
        let client = TollgateClient(configuration: TollgateClientConfiguration(
            baseURL: harness.baseURL,
            apiKey: readKey,
            fallback: FallbackPolicy(default: .failClosed, overrides: ["api.requests": .failOpen])))

        let answer = await client.check(customer: "org_1", feature: "seats", quantity: 6)
        if !answer.allowed { print("denied:", answer.reason?.rawValue ?? "", answer.isFallback ? "(fallback)" : "") }

        let snapshot = try await client.snapshot(customer: "org_1")
        let result = snapshot.check("integrations.github")
        // --- end of the example ---

        #expect(answer.allowed)
        #expect(!answer.isFallback)
        #expect(result.allowed)
    }
}
