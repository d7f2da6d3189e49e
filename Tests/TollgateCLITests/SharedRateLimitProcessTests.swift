import Foundation
import Testing
import TollgateTestSupport

/// Two `tollgate serve` processes on one PostgreSQL share one limit through the store backend.
@Suite struct SharedRateLimitProcessTests {
    @Test func twoInstancesOnOnePostgreSQLShareOneLimit() throws {
        let store = try TestDatabase.make(.postgres)
        let environment = TollgateBinary.environment(databaseURL: store.url, extra: ["TOLLGATE_RATE_LIMIT_BACKEND": "store"])
        #expect(try TollgateBinary.run(["migrate"], environment: environment).status == 0)
        #expect(try TollgateBinary.run(["plans", "apply", TestDatabase.repositoryRoot + "/examples/catalog.json"], environment: environment).status == 0)
        #expect(try TollgateBinary.run(["customers", "upsert", "--external-id", "org_1"], environment: environment).status == 0)
        let created = try TollgateBinary.run(["keys", "create", "--name", "svc", "--scope", "write", "--json"], environment: environment)
        let key = try #require((try JSONSerialization.jsonObject(with: Data(created.standardOutput.utf8)) as? [String: Any])?["secret"] as? String)

        let first = try ServeChild(environment: environment)
        let second = try ServeChild(environment: environment)
        #expect(first.waitUntilListening(), "\(first.log)")
        #expect(second.waitUntilListening(), "\(second.log)")
        // Free plan: api burst 20 at 10/s. Cost 4 alternating between the instances: 5 pass, then 429s.
        var statuses: [Int] = []
        for index in 0..<8 {
            let port = index.isMultiple(of: 2) ? first.port : second.port
            let response = try HTTPTestClient.request(port: port, method: "POST", path: "/v1/rate-limits/consume", headers: [
                ("Authorization", "Bearer \(key)"), ("Content-Type", "application/json"),
            ], body: Array(#"{"customer":"org_1","policy":"api","cost":4}"#.utf8))
            statuses.append(response.status)
            if index == 0 { #expect(response.status == 200, "\(response.text)") }
        }
        #expect(statuses.prefix(5).allSatisfy { $0 == 200 }, "\(statuses)")
        #expect(statuses.filter { $0 == 429 }.count >= 2, "\(statuses)")
        first.child.signal(SIGTERM)
        second.child.signal(SIGTERM)
        #expect(first.child.waitForExit(timeout: .seconds(20)) == 0)
        #expect(second.child.waitForExit(timeout: .seconds(20)) == 0)
    }
}
