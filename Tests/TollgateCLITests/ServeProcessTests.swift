import Foundation
import Testing
import TollgateTestSupport

/// `tollgate serve` as a real process: schema gate, serving, and SIGTERM/SIGINT shutdown.
@Suite struct ServeProcessTests {
    @Test(arguments: Backend.allCases)
    func serveRefusesASchemaThatIsBehind(backend: Backend) throws {
        let store = try TestDatabase.make(backend)
        let result = try TollgateBinary.run(["serve"], environment: TollgateBinary.environment(databaseURL: store.url, extra: ["TOLLGATE_LISTEN": "127.0.0.1:0"]))
        #expect(result.status == 1)
        #expect(result.standardError.contains("schema is behind"))
        #expect(result.standardError.contains("tollgate migrate"))
    }

    @Test(arguments: Backend.allCases)
    func serveWithMigrateAppliesMigrationsAndAnswers(backend: Backend) throws {
        let store = try TestDatabase.make(backend)
        let server = try ServeChild(environment: TollgateBinary.environment(databaseURL: store.url), arguments: ["--migrate"])
        #expect(server.waitUntilListening(), "\(server.log)")
        #expect(try HTTPTestClient.request(port: server.port, path: "/healthz").status == 200)
        #expect(try HTTPTestClient.request(port: server.port, path: "/readyz").status == 200)
        server.child.signal(SIGTERM)
        #expect(server.child.waitForExit(timeout: .seconds(20)) == 0, "\(server.log)")
        #expect(server.log.contains("\"msg\":\"stopped\""))
    }

    /// A request whose body is still arriving when SIGTERM lands is answered in full; then the
    /// process exits 0 and no longer accepts connections.
    @Test(arguments: [SIGTERM, SIGINT])
    func inFlightRequestCompletesAfterTheSignal(signal: Int32) throws {
        let store = try TestDatabase.make(.sqlite)
        let server = try ServeChild(environment: TollgateBinary.environment(databaseURL: store.url), arguments: ["--migrate"])
        #expect(server.waitUntilListening(), "\(server.log)")

        let client = try HTTPTestClient(port: server.port)
        let body = Array(#"{"hello":"world"}"#.utf8)
        try client.sendRaw(Array("POST /v1/keys HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body.prefix(5))
        Thread.sleep(forTimeInterval: 0.3)
        server.child.signal(signal)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(server.child.waitForExit(timeout: .milliseconds(10)) == nil, "the server must wait for the request in flight")
        try client.sendRaw(Array(body.dropFirst(5)))
        let response = try client.readResponse(method: "POST")
        #expect(response.status == 405)  // answered by the router: the request ran to completion
        #expect(response.errorCode == "method_not_allowed")
        #expect(server.child.waitForExit(timeout: .seconds(20)) == 0, "\(server.log)")
        #expect(throws: (any Error).self) { try HTTPTestClient.request(port: server.port, path: "/healthz", timeout: .seconds(2)) }
    }
}

extension TestResponse {
    var errorCode: String? {
        ((try? json())?["error"] as? [String: Any])?["code"] as? String
    }
}
