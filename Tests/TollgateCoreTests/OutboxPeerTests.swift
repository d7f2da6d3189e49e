import Foundation
import Synchronization
import Testing
import TollgateMail
import TollgateOutbox
import TollgateStore
import TollgateTestSupport
@testable import TollgateCore

/// The worker against real peers: aiosmtpd (refusals, temporary failures, a dead port) and a
/// Postmark-shaped HTTP server (429 and 5xx).
@Suite struct OutboxPeerTests {
    private func transport(_ url: String) throws -> any MailTransport {
        try MailTransportConfiguration.parse(url: url).makeTransport()
    }

    @Test(arguments: Backend.allCases)
    func aiosmtpdReceivesTheMailAndItsRefusalsEndRetriedOrDead(backend: Backend) throws {
        guard let peer = SMTPPeer.require() else { return }
        let fixture = try OutboxFixture(backend)
        let run = UUID().uuidString.lowercased().prefix(8)
        try fixture.enqueue(to: "ok+\(run)@example.com", key: "peer:\(run):ok")
        try fixture.enqueue(to: "reject+\(run)@example.com", key: "peer:\(run):reject")
        try fixture.enqueue(to: "later+\(run)@example.com", key: "peer:\(run):later")
        let smtp = try transport("smtp://127.0.0.1:\(peer.plainPort)?tls=none")
        let report = try fixture.worker(transport: smtp).sendDue()
        #expect(report.sent == 1 && report.dead == 1 && report.retried == 1)

        let delivered = try #require(try peer.deliveries(to: "ok+\(run)@example.com").first)
        #expect(delivered.data.contains("Message-ID: <tollgate.peer=3A\(run)=3Aok@acme.example>"), "the Message-ID carries the dedupe key")
        let byRecipient = Dictionary(uniqueKeysWithValues: try fixture.messages().map { ($0.recipient, $0) })
        let sent = try #require(byRecipient["ok+\(run)@example.com"])
        #expect(sent.status == .sent && sent.providerMessageID == "<tollgate.peer=3A\(run)=3Aok@acme.example>")
        let refused = try #require(byRecipient["reject+\(run)@example.com"])
        #expect(refused.status == .dead && refused.lastError?.contains("550") == true)
        #expect(try fixture.services.suppressions.find("reject+\(run)@example.com")?.reason == .hardBounce)
        let later = try #require(byRecipient["later+\(run)@example.com"])
        #expect(later.status == .pending && later.lastError?.contains("451") == true)
    }

    @Test(arguments: Backend.allCases)
    func aDeadSMTPPeerMeansRetryWithTheReason(backend: Backend) throws {
        let fixture = try OutboxFixture(backend)
        try fixture.enqueue(to: "ada@example.com")
        let closedPort = try #require(FreePort.reserve())
        let report = try fixture.worker(transport: try transport("smtp://127.0.0.1:\(closedPort)?tls=none&connect_timeout=2")).sendDue()
        #expect(report.retried == 1)
        let message = try #require(try fixture.messages().first)
        #expect(message.status == .pending && message.lastError?.contains("could_not_connect") == true)
    }

    @Test(arguments: [(429, "temporary_failure"), (500, "temporary_failure"), (503, "temporary_failure")])
    func theProvidersRateLimitAndServerErrorsMeanRetry(status: Int, code: String) throws {
        let fixture = try OutboxFixture(.sqlite)
        let postmark = try FakePostmark()
        postmark.answer.withLock { $0 = (status, #"{"ErrorCode":100,"Message":"Slow down"}"#) }
        try fixture.enqueue(to: "ada@example.com")
        #expect(try fixture.worker(transport: try transport(postmark.url)).sendDue().retried == 1)
        let message = try #require(try fixture.messages().first)
        #expect(message.status == .pending && message.lastError?.contains(code) == true && message.lastError?.contains(String(status)) == true)
        #expect(message.lastError?.contains(FakePostmark.token) == false)
        // The provider recovers: the retry is sent and its MessageID recorded.
        postmark.answer.withLock { $0 = nil }
        #expect(try fixture.worker(transport: try transport(postmark.url)).sendDue().sent == 1)
        #expect(try fixture.messages(.sent).first?.providerMessageID?.isEmpty == false)
    }
}
