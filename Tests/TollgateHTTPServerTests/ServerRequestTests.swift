import Foundation
import Synchronization
import Testing
import TollgateHTTPServer
import TollgateLogging
import TollgateTestSupport

/// Request handling over real sockets, in both threading modes.
@Suite struct ServerRequestTests {
    private func errorCode(_ response: TestResponse) throws -> String? {
        let error = try #require(try response.json()["error"] as? [String: Any])
        #expect(error["message"] is String)
        #expect(error["details"] is [Any])
        return error["code"] as? String
    }

    @Test(arguments: TestServer.modes)
    func jsonEchoRoundTrip(mode: HTTPServerConfiguration.Mode) throws {
        try TestServer.with(mode: mode) { server in
            let sent = EchoBody(message: "héllo \"world\"", count: 3)
            let response = try HTTPTestClient.request(
                port: server.port, method: "POST", path: "/echo",
                headers: [("Content-Type", "application/json")], body: Array(try JSONEncoder().encode(sent)))
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.header("Content-Length") == String(response.body.count))
            #expect(try response.decode(EchoBody.self) == sent)
            #expect(response.header("X-Middleware") == "ran")
        }
    }

    @Test func malformedJSONIsA400WithTheErrorBody() throws {
        try TestServer.with { server in
            let response = try HTTPTestClient.request(
                port: server.port, method: "POST", path: "/echo",
                headers: [("Content-Type", "application/json")], body: Array(#"{"message": "x", "count": "#.utf8))
            #expect(response.status == 400)
            #expect(response.header("Content-Type") == "application/json")
            #expect(try errorCode(response) == "invalid_json")
            let missing = try HTTPTestClient.request(
                port: server.port, method: "POST", path: "/echo",
                headers: [("Content-Type", "application/json")], body: Array(#"{"message": "x"}"#.utf8))
            #expect(missing.status == 400)
            let message = try #require((try missing.json()["error"] as? [String: Any])?["message"] as? String)
            #expect(message.contains("count"))
        }
    }

    @Test func nonJSONContentTypeIsA415() throws {
        try TestServer.with { server in
            let response = try HTTPTestClient.request(
                port: server.port, method: "POST", path: "/echo",
                headers: [("Content-Type", "text/plain")], body: Array(#"{"message":"x","count":1}"#.utf8))
            #expect(response.status == 415)
            #expect(try errorCode(response) == "unsupported_media_type")
        }
    }

    @Test(arguments: TestServer.modes)
    func unknownRouteIsA404(mode: HTTPServerConfiguration.Mode) throws {
        try TestServer.with(mode: mode) { server in
            let response = try HTTPTestClient.request(port: server.port, path: "/nowhere")
            #expect(response.status == 404)
            #expect(try errorCode(response) == "not_found")
            #expect(server.middleware.seen.load(ordering: .relaxed) == 0)
        }
    }

    @Test(arguments: TestServer.modes)
    func wrongMethodIsA405WithAllow(mode: HTTPServerConfiguration.Mode) throws {
        try TestServer.with(mode: mode) { server in
            let response = try HTTPTestClient.request(port: server.port, method: "DELETE", path: "/inline")
            #expect(response.status == 405)
            #expect(response.header("Allow") == "GET, HEAD")
            #expect(try errorCode(response) == "method_not_allowed")
            let unknown = try HTTPTestClient.request(port: server.port, method: "PATCH", path: "/echo")
            #expect(unknown.status == 405)
            #expect(unknown.header("Allow") == "POST")
        }
    }

    @Test func headIsAnsweredByTheGetRouteWithoutBody() throws {
        try TestServer.with { server in
            let client = try HTTPTestClient(port: server.port)
            let head = try client.send(method: "HEAD", path: "/keys/abc")
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "7")
            #expect(head.body.isEmpty)
            let get = try client.send(path: "/keys/abc")  // same socket: nothing was left unread
            #expect(get.text == "key abc")
        }
    }

    @Test func pathParametersAndLiteralPrecedence() throws {
        try TestServer.with { server in
            let parameter = try HTTPTestClient.request(port: server.port, path: "/keys/k_42")
            let literal = try HTTPTestClient.request(port: server.port, path: "/keys/search")
            #expect(parameter.text == "key k_42")
            #expect(literal.text == "search")
        }
    }

    @Test func queryStringIsDecoded() throws {
        try TestServer.with { server in
            let response = try HTTPTestClient.request(port: server.port, path: "/query?a=1&b=hello%20world&c=%C3%A9&flag")
            #expect(response.status == 200)
            let fields = try response.decode([String: String].self)
            #expect(fields == ["a": "1", "b": "hello world", "c": "é", "flag": ""])
        }
    }

    @Test func requestIDIsEchoedOrGenerated() throws {
        try TestServer.with { server in
            let body = Array(#"{"message":"x","count":1}"#.utf8)
            let json = [("Content-Type", "application/json")]
            let echoed = try HTTPTestClient.request(
                port: server.port, method: "POST", path: "/echo", headers: json + [("X-Request-Id", "client-id.1:2_3")], body: body)
            #expect(echoed.header("X-Request-Id") == "client-id.1:2_3")
            #expect(echoed.header("X-Seen-Request-Id") == "client-id.1:2_3")

            let replaced = try HTTPTestClient.request(
                port: server.port, method: "POST", path: "/echo", headers: json + [("X-Request-Id", "bad id!")], body: body)
            let generated = try #require(replaced.header("X-Request-Id"))
            #expect(generated != "bad id!")
            #expect(generated.utf8.count == 32)
            #expect(replaced.header("X-Seen-Request-Id") == generated)

            let none = try HTTPTestClient.request(port: server.port, path: "/nowhere")
            #expect(none.header("X-Request-Id")?.utf8.count == 32)
            let tooLong = try HTTPTestClient.request(
                port: server.port, path: "/inline", headers: [("X-Request-Id", String(repeating: "a", count: 129))])
            #expect(tooLong.header("X-Request-Id")?.utf8.count == 32)
        }
    }

    @Test(arguments: TestServer.modes)
    func nonHTTPErrorIsA500WithoutItsText(mode: HTTPServerConfiguration.Mode) throws {
        try TestServer.with(mode: mode) { server in
            let response = try HTTPTestClient.request(port: server.port, path: "/fail", headers: [("X-Request-Id", "fail-1")])
            #expect(response.status == 500)
            #expect(try errorCode(response) == "internal_error")
            #expect(!response.text.contains("secret"))
            #expect(server.logs.lines.contains { $0.contains("secret-sauce") && $0.contains(#""request_id":"fail-1""#) })
        }
    }

    @Test func invalidStatusFromAHandlerIsA500() throws {
        try TestServer.with { server in
            let response = try HTTPTestClient.request(port: server.port, path: "/bad-status")
            #expect(response.status == 500)
        }
    }

    @Test func middlewareCanAnswerForTheHandler() throws {
        try TestServer.with { server in
            let response = try HTTPTestClient.request(port: server.port, path: "/inline", headers: [("X-Deny", "1")])
            #expect(response.status == 403)
            #expect(try errorCode(response) == "forbidden")
        }
    }

    @Test func workerPoolAndInlineRoutesRunWhereTheySay() throws {
        try TestServer.with(mode: .epoll(workerThreads: 2)) { server in
            let client = try HTTPTestClient(port: server.port)
            let poolName = try client.send(path: "/pool").text
            #expect(poolName.hasPrefix("http-worker-"), "\(poolName)")
            #expect(try !client.send(path: "/inline").text.hasPrefix("http-worker-"))
            #expect(try client.send(path: "/pool").status == 200)  // resumed connection stays usable
        }
    }

    @Test func accessLogAndMetricsRecordEachRequest() throws {
        try TestServer.with { server in
            _ = try HTTPTestClient.request(port: server.port, path: "/keys/k1", headers: [("X-Request-Id", "log-me")])
            _ = try HTTPTestClient.request(port: server.port, path: "/nowhere")
            #expect(eventually { server.server.metrics.requestCount(method: "GET", route: "unmatched", status: 404) == 1 })
            #expect(server.server.metrics.requestCount(method: "GET", route: "/keys/{id}", status: 200) == 1)
            let line = try #require(server.logs.lines.first { $0.contains(#""request_id":"log-me""#) && $0.contains(#""msg":"request""#) })
            for field in [#""method":"GET""#, #""route":"/keys/{id}""#, #""status":"200""#, #""duration_ms":"#] {
                #expect(line.contains(field))
            }
            let text = server.server.metrics.prometheusText()
            #expect(text.contains(#"tollgate_http_requests_total{method="GET",route="/keys/{id}",status="200"} 1"#))
        }
    }

    @Test func addressInUseIsAClearError() throws {
        try TestServer.with { server in
            let second = HTTPServer(
                configuration: HTTPServerConfiguration(port: server.port), router: Router(), logger: .disabled)
            #expect { try second.start() } throws: { error in
                (error as? HTTPServerError)?.code == .addressInUse
            }
        }
    }

    @Test func invalidHostIsRejected() {
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "localhost", port: 0), router: Router(), logger: .disabled)
        #expect { try server.start() } throws: { error in (error as? HTTPServerError)?.code == .invalidAddress }
    }

    @Test func listensOnIPv6Loopback() throws {
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "::1", port: 0), router: Router(), logger: .disabled)
        do {
            try server.start()
        } catch let error where error.code == .listenFailed {
            return  // no IPv6 on this host
        }
        defer { server.shutdown(timeout: .seconds(1)) }
        #expect(server.port > 0)
    }
}
