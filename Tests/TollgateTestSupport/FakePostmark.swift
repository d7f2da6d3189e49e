import Foundation
package import Synchronization
package import TollgateHTTPServer
import TollgateLogging

/// A fake Postmark on a real socket: checks the documented request shape of `POST /email`
/// and answers as Postmark does (or with a scripted status).
package final class FakePostmark: Sendable {
    package static let token = "pm-server-token-123"
    package let server: HTTPServer
    /// The raw bodies of `POST /email` requests, in order.
    package let received = Mutex<[[UInt8]]>([])
    package let answer: Mutex<(status: Int, body: String)?> = Mutex(nil)

    package init() throws {
        let router = Router()
        server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), router: router, logger: .disabled)
        router.register(.POST, "/email") { [self] request in try self.handle(request) }
        try server.start()
    }

    deinit { server.shutdown(timeout: .seconds(5)) }

    package var url: String { "postmark://\(Self.token)@127.0.0.1:\(server.port)?scheme=http&timeout=5" }

    private func handle(_ request: HTTPRequest) throws -> HTTPResponse {
        func reply(_ status: Int, _ code: Int, _ message: String) -> HTTPResponse {
            HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(#"{"ErrorCode":\#(code),"Message":"\#(message)"}"#.utf8))
        }
        guard request.headers["X-Postmark-Server-Token"] == Self.token else { return reply(401, 10, "Bad or missing Server API token.") }
        guard request.headers["Accept"] == "application/json", request.headers["Content-Type"]?.hasPrefix("application/json") == true else {
            return reply(415, 0, "Accept and Content-Type must be application/json")
        }
        guard let json = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] else { return reply(400, 402, "Invalid JSON") }
        received.withLock { $0.append(request.body) }
        for field in ["From", "To", "Subject", "TextBody", "HtmlBody", "MessageStream"] where !(json[field] is String) {
            return reply(422, 300, "missing \(field)")
        }
        guard let headers = json["Headers"] as? [[String: Any]], headers.allSatisfy({ $0["Name"] is String && $0["Value"] is String }) else {
            return reply(422, 300, "Headers must be a list of {Name, Value}")
        }
        if let scripted = answer.withLock({ $0 }) {
            return HTTPResponse(status: scripted.status, headers: ["Content-Type": "application/json"], body: Array(scripted.body.utf8))
        }
        let answer: [String: Any] = ["To": json["To"] ?? "", "SubmittedAt": "2026-11-22T18:24:09Z", "MessageID": UUID().uuidString.lowercased(), "ErrorCode": 0, "Message": "OK"]
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: Array(try JSONSerialization.data(withJSONObject: answer)))
    }
}
