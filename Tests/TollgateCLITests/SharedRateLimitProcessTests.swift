import Foundation
import Testing
import TollgateTestSupport

/// Two `tollgate serve` processes on one PostgreSQL share one limit through the store backend.
@Suite struct SharedRateLimitProcessTests {
    @Test func twoInstancesOnOnePostgreSQLShareOneLimit() throws {
        let store = try TestDatabase.make(.postgres)
        let environment = TollgateBinary.environment(databaseURL: store.url, extra: ["TOLLGATE_RATE_LIMIT_BACKEND": "store"])
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
        // The example catalog with hour-long windows: nothing refills while a busy machine runs the
        // requests, so exactly the burst passes however slow they are.
        let example = try String(contentsOfFile: TestDatabase.repositoryRoot + "/examples/catalog.json", encoding: .utf8)
        let catalog = FileManager.default.temporaryDirectory.appendingPathComponent("hourly-\(UUID().uuidString).json").path
        try example.replacingOccurrences(of: #""window_seconds": 1"#, with: #""window_seconds": 3600"#).write(toFile: catalog, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: catalog) }
        #expect(InProcessCLI.run(["plans", "apply", catalog], environment: environment).status == 0)
        #expect(InProcessCLI.run(["customers", "upsert", "--external-id", "org_1"], environment: environment).status == 0)
        let created = InProcessCLI.run(["keys", "create", "--name", "svc", "--scope", "write", "--json"], environment: environment)
        let key = try #require((try JSONSerialization.jsonObject(with: Data(created.standardOutput.utf8)) as? [String: Any])?["secret"] as? String)

        let first = try ServeChild(environment: environment)
        let second = try ServeChild(environment: environment)
        #expect(first.waitUntilListening(), "\(first.log)")
        #expect(second.waitUntilListening(), "\(second.log)")
        // Free plan: api burst 20 (10 an hour here). Cost 4 alternating between the instances: 5 pass,
        // then 429s; two limits, one per instance, would let all 8 pass.
        var statuses: [Int] = []
        for index in 0..<8 {
            let port = index.isMultiple(of: 2) ? first.port : second.port
            let response = try HTTPTestClient.request(port: port, method: "POST", path: "/v1/rate-limits/consume", headers: [
                ("Authorization", "Bearer \(key)"), ("Content-Type", "application/json"),
            ], body: Array(#"{"customer":"org_1","policy":"api","cost":4}"#.utf8))
            statuses.append(response.status)
            if index == 0 { #expect(response.status == 200, "\(response.text)") }
        }
        #expect(statuses == [200, 200, 200, 200, 200, 429, 429, 429], "\(statuses)")
        first.child.signal(SIGTERM)
        second.child.signal(SIGTERM)
        #expect(first.child.waitForExit(timeout: .seconds(20)) == 0)
        #expect(second.child.waitForExit(timeout: .seconds(20)) == 0)
    }
}
