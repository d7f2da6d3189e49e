import Foundation
import Testing
import TollgateAPI
import TollgateHTTPServer
import TollgateTestSupport

@Suite struct OpenAPITests {
    /// Every routed operation is in the document, and the document names no route that does not
    /// exist: the two sets must be equal.
    @Test func documentDescribesExactlyTheRegisteredRoutes() throws {
        let harness = try APIHarness(.sqlite)
        let response = try harness.get("/openapi.json")
        #expect(response.status == 200)
        let document = try response.json()
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented: Set<String> = []
        for (path, operations) in paths {
            for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
        }
        // The admin console's pages (`/admin`, HTML for browsers, docs/console.md) are not API operations.
        let routed = Set(harness.api.router.routes.filter { !$0.pattern.hasPrefix("/admin") }.map { "\($0.method.rawValue) \($0.pattern)" })
        #expect(documented == routed, "missing from the document: \(routed.subtracting(documented)); not routed: \(documented.subtracting(routed))")
        #expect(routed.contains("GET /v1/keys"))
    }

    @Test func everyOperationHasResponsesAndScopedOnesRequireTheBearerScheme() throws {
        let harness = try APIHarness(.sqlite)
        let document = try harness.get("/openapi.json").json()
        let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
        let components = try #require(document["components"] as? [String: Any])
        let schemas = try #require(components["schemas"] as? [String: Any])
        for (path, operations) in paths {
            for (method, operation) in operations {
                let responses = try #require(operation["responses"] as? [String: Any], "\(method) \(path)")
                #expect(!responses.isEmpty)
                #expect(operation["operationId"] is String)
                if path.hasPrefix("/v1/") {
                    #expect(operation["security"] != nil, "\(method) \(path) must declare its key")
                    #expect(responses["401"] != nil && responses["403"] != nil)
                }
                // Every schema reference resolves.
                let text = String(decoding: try JSONSerialization.data(withJSONObject: operation), as: UTF8.self)
                for name in text.matches(of: /#\/components\/schemas\/([A-Za-z]+)/).map({ String($0.1) }) {
                    #expect(schemas[name] != nil, "\(name) referenced by \(method) \(path)")
                }
            }
        }
    }
}
