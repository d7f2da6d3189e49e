import Foundation
import Synchronization
import Testing
import TollgateHTTPServer
@testable import TollgateMail

/// A fake Postmark on a real socket: checks the documented request shape of `POST /email`
/// and answers as Postmark does (or with a scripted status).
final class FakePostmark: Sendable {
    static let token = "pm-server-token-123"
    let server: HTTPServer
    /// The raw bodies of `POST /email` requests, in order.
    let received = Mutex<[[UInt8]]>([])
    let answer: Mutex<(status: Int, body: String)?> = Mutex(nil)

    init() throws {
        let router = Router()
        server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), router: router, logger: .disabled)
        router.register(.POST, "/email") { [self] request in try self.handle(request) }
        try server.start()
    }

    deinit { server.shutdown(timeout: .seconds(5)) }

    var url: String { "postmark://\(Self.token)@127.0.0.1:\(server.port)?scheme=http&timeout=5" }

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

@Suite struct PostmarkTransportTests {
    @Test func sendsTheDocumentedJSONShapeAndDedupeHeader() throws {
        let fake = try FakePostmark()
        let transport = try MailTransportConfiguration.parse(url: fake.url).makeTransport()
        let mail = OutgoingMailMIMETests.mail()
        let sent = try transport.send(mail)
        #expect(sent.providerMessageID.count == 36)
        let raw = try #require(fake.received.withLock { $0.first })
        let body = try #require(try JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any])
        #expect(body["From"] as? String == "\"Tollgate Billing\" <billing@tollgate.example>")
        #expect(body["To"] as? String == "\"Ada Lovelace\" <ada@example.com>")
        #expect(body["ReplyTo"] as? String == "help@tollgate.example")
        #expect(body["Subject"] as? String == mail.subject)
        #expect(body["TextBody"] as? String == mail.text)
        #expect(body["HtmlBody"] as? String == mail.html)
        #expect(body["MessageStream"] as? String == "outbound")
        let headers = try #require(body["Headers"] as? [[String: String]])
        #expect(headers.contains(["Name": "X-Tollgate-Dedupe", "Value": mail.dedupeKey]))
        #expect(headers.contains(["Name": "List-Unsubscribe", "Value": "<mailto:unsubscribe@tollgate.example>"]))
        #expect((body["Metadata"] as? [String: String])?["tollgate_dedupe_key"] == mail.dedupeKey)
    }

    @Test func wrongTokenIsAPermanentAuthErrorWithoutTheToken() throws {
        let fake = try FakePostmark()
        let url = fake.url.replacingOccurrences(of: FakePostmark.token, with: "wrong-token-456")
        let error = try #require(throws: MailError.self) { try MailTransportConfiguration.parse(url: url).makeTransport().send(OutgoingMailMIMETests.mail()) }
        #expect(error.code == .authenticationFailed)
        #expect(error.isPermanent)
        #expect(!error.description.contains("wrong-token-456"))
    }

    @Test(arguments: [
        (422, #"{"ErrorCode":406,"Message":"You tried to send to recipient(s) that have been marked as inactive."}"#, MailError.Code.recipientRejected, false),
        (422, #"{"ErrorCode":300,"Message":"Invalid 'To' address"}"#, .recipientRejected, false),
        (422, #"{"ErrorCode":412,"Message":"account pending approval"}"#, .permanentFailure, false),
        (429, #"{"ErrorCode":0,"Message":"rate limited"}"#, .temporaryFailure, true),
        (503, "unavailable", .temporaryFailure, true),
    ])
    func providerAnswersAreClassified(status: Int, body: String, code: MailError.Code, transient: Bool) throws {
        let fake = try FakePostmark()
        fake.answer.withLock { $0 = (status, body) }
        let transport = try MailTransportConfiguration.parse(url: fake.url).makeTransport()
        let error = try #require(throws: MailError.self) { try transport.send(OutgoingMailMIMETests.mail()) }
        #expect(error.code == code, "\(error)")
        #expect(error.status == status)
        #expect(error.isTransient == transient)
    }

    @Test func unreachableProviderIsTransient() throws {
        let port = try #require(FreePort.reserve())
        let transport = try MailTransportConfiguration.parse(url: "postmark://tok@127.0.0.1:\(port)?scheme=http").makeTransport()
        let error = try #require(throws: MailError.self) { try transport.send(OutgoingMailMIMETests.mail()) }
        #expect(error.code == .couldNotConnect)
        #expect(error.isTransient)
        #expect(!error.description.contains("tok@"))
    }
}
