import Foundation
import Synchronization
import Testing
import TollgateTestSupport
import TollgateHTTPServer
@testable import TollgateMail

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
