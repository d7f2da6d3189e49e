import Foundation
import Testing
import TollgateTestSupport

/// An access log line per request at `info`, the default level (issue 18): method, route pattern
/// (not the path: no customer ids in it), status, duration and the request id the response carries;
/// `TOLLGATE_ACCESS_LOG=off` silences it.
@Suite struct AccessLogTests {
    static func requestLines(accessLog: String?) throws -> (lines: [[String: Any]], requestID: String?) {
        let store = try TestDatabase.make(.sqlite)
        var extra: [String: String] = [:]
        if let accessLog { extra["TOLLGATE_ACCESS_LOG"] = accessLog }
        let server = try ServeChild(environment: TollgateBinary.environment(databaseURL: store.url, extra: extra), arguments: ["--migrate"])
        #expect(server.waitUntilListening(), "\(server.log)")
        let response = try HTTPTestClient.request(port: server.port, path: "/v1/customers/org_secret_42", headers: [("Authorization", "Bearer tg_nope")])
        #expect(response.status == 401)
        server.child.signal(SIGTERM)
        #expect(server.child.waitForExit(timeout: .seconds(20)) == 0)
        let lines = server.log.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }.filter { $0["msg"] as? String == "request" }
        return (lines, response.header("X-Request-Id"))
    }

    @Test func eachRequestIsLoggedAtInfoWithItsRoutePatternAndRequestID() throws {
        let (lines, requestID) = try Self.requestLines(accessLog: nil)
        let line = try #require(lines.first { $0["status"] as? String == "401" }, "\(lines)")
        #expect(line["level"] as? String == "info")
        #expect(line["method"] as? String == "GET")
        #expect(line["route"] as? String == "/v1/customers/{external_id}")
        #expect(line["duration_ms"] is String)
        #expect(requestID != nil && line["request_id"] as? String == requestID)
        #expect(!lines.contains { "\($0)".contains("org_secret_42") })
    }

    @Test func offSilencesIt() throws {
        #expect(try Self.requestLines(accessLog: "off").lines.isEmpty)
    }
}
