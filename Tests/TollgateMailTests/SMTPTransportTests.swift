import Foundation
import Testing
import TollgateTestSupport
@testable import TollgateMail

/// SMTPTransport against the real aiosmtpd peer (`scripts/peers/smtp`, started by `scripts/test`).
@Suite struct SMTPTransportTests {
    @Test func plainDeliveryRecordsEnvelopeHeadersAndBothParts() throws {
        guard let peer = SMTPPeer.require() else { return }
        let transport = try peer.transport("smtp://127.0.0.1:\(peer.plainPort)/client.tollgate.example?tls=none")
        let mail = SMTPPeer.mail()
        let sent = try transport.send(mail)
        #expect(sent.providerMessageID == mail.messageID)
        #expect(sent.serverResponse?.hasPrefix("250") == true)
        let delivery = try #require(try peer.deliveries(to: mail.to.address).first)
        #expect(delivery.mail_from == "billing@tollgate.example")
        #expect(delivery.rcpt_tos == [mail.to.address])
        #expect(delivery.ehlo == "client.tollgate.example")
        #expect(delivery.tls == false)
        #expect(delivery.data.contains("\r\nSubject: Payment failed\r\n"))
        #expect(delivery.data.contains("To: \(mail.to.address)\r\n"))
        #expect(delivery.data.contains("Message-ID: \(mail.messageID)\r\n"))
        #expect(!delivery.data.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(delivery.data.contains("Content-Type: text/plain; charset=utf-8\r\n"))
        #expect(delivery.data.contains("Content-Type: text/html; charset=utf-8\r\n"))
        #expect(delivery.data.contains("<p>your payment failed.</p>"))
    }

    @Test func startTLSPortRefusesAPlainOnlyURL() throws {
        guard let peer = SMTPPeer.require() else { return }
        let transport = try peer.transport("smtp://127.0.0.1:\(peer.startTLSPort)?tls=none")
        let mail = SMTPPeer.mail()
        let error = try #require(throws: MailError.self) { try transport.send(mail) }
        #expect(error.code == .tls, "\(error)")
        #expect(error.status == 530)
        #expect(error.isPermanent)
        #expect(error.description.contains("STARTTLS"))
        #expect(try peer.deliveries(to: mail.to.address).isEmpty)
    }

    @Test func startTLSWithTheTestCADeliversOverTLSWithAuth() throws {
        guard let peer = SMTPPeer.require() else { return }
        let transport = try peer.transport("smtp://\(SMTPPeer.user):\(SMTPPeer.password)@127.0.0.1:\(peer.startTLSPort)?cafile=\(peer.caFile)")
        let mail = SMTPPeer.mail()
        _ = try transport.send(mail)
        let delivery = try #require(try peer.deliveries(to: mail.to.address).first)
        #expect(delivery.listener == "starttls")
        #expect(delivery.tls == true)
        #expect(delivery.tls_version?.hasPrefix("TLS") == true)
        #expect(delivery.auth_user == SMTPPeer.user)
    }

    @Test func startTLSWithoutTheCAFailsWithATLSError() throws {
        guard let peer = SMTPPeer.require() else { return }
        let transport = try peer.transport("smtp://127.0.0.1:\(peer.startTLSPort)")
        let error = try #require(throws: MailError.self) { try transport.send(SMTPPeer.mail()) }
        #expect(error.code == .tls, "\(error)")
    }

    @Test func smtpsWithTheCADeliversAndRecordsTheAuthenticatedUser() throws {
        guard let peer = SMTPPeer.require() else { return }
        let transport = try peer.transport("smtps://\(SMTPPeer.user):\(SMTPPeer.password)@127.0.0.1:\(peer.smtpsPort)/client.example?cafile=\(peer.caFile)")
        let mail = SMTPPeer.mail()
        _ = try transport.send(mail)
        let delivery = try #require(try peer.deliveries(to: mail.to.address).first)
        #expect(delivery.listener == "smtps")
        #expect(delivery.tls == true)
        #expect(delivery.auth_user == "tollgate")
    }

    @Test func missingCredentialsWhereAuthIsRequiredIsAnAuthError() throws {
        guard let peer = SMTPPeer.require() else { return }
        let transport = try peer.transport("smtp://127.0.0.1:\(peer.startTLSPort)?cafile=\(peer.caFile)")
        let error = try #require(throws: MailError.self) { try transport.send(SMTPPeer.mail()) }
        #expect(error.code == .authenticationFailed, "\(error)")
        #expect(error.status == 530)
    }

    @Test func smtpsWithoutTheCAFailsWithATLSError() throws {
        guard let peer = SMTPPeer.require() else { return }
        let transport = try peer.transport("smtps://\(SMTPPeer.user):\(SMTPPeer.password)@127.0.0.1:\(peer.smtpsPort)")
        let error = try #require(throws: MailError.self) { try transport.send(SMTPPeer.mail()) }
        #expect(error.code == .tls, "\(error)")
        #expect(!error.description.contains(SMTPPeer.password))
    }

    @Test func wrongPasswordIsAPermanentAuthErrorWithoutThePassword() throws {
        guard let peer = SMTPPeer.require() else { return }
        let wrong = "wr0ng-Secret-9"
        let transport = try peer.transport("smtps://\(SMTPPeer.user):\(wrong)@127.0.0.1:\(peer.smtpsPort)?cafile=\(peer.caFile)")
        let error = try #require(throws: MailError.self) { try transport.send(SMTPPeer.mail()) }
        #expect(error.code == .authenticationFailed, "\(error)")
        #expect(error.isPermanent)
        #expect(!error.description.contains(wrong))
        #expect(!String(reflecting: error).contains(wrong))
        #expect(!transport.configuration.description.contains(wrong))
    }

    @Test func refusedRecipientIsPermanent() throws {
        guard let peer = SMTPPeer.require() else { return }
        let transport = try peer.transport("smtp://127.0.0.1:\(peer.plainPort)?tls=none")
        let error = try #require(throws: MailError.self) { try transport.send(SMTPPeer.mail(to: "reject")) }
        #expect(error.code == .recipientRejected, "\(error)")
        #expect(error.status == 550)
        #expect(error.isPermanent)
        // The kept connection still works after a refusal.
        let mail = SMTPPeer.mail()
        _ = try transport.send(mail)
        #expect(try peer.deliveries(to: mail.to.address).count == 1)
    }

    @Test func temporaryRefusalIsTransient() throws {
        guard let peer = SMTPPeer.require() else { return }
        let transport = try peer.transport("smtp://127.0.0.1:\(peer.plainPort)?tls=none")
        let error = try #require(throws: MailError.self) { try transport.send(SMTPPeer.mail(to: "later")) }
        #expect(error.code == .temporaryFailure, "\(error)")
        #expect(error.status == 451)
        #expect(error.isTransient)
    }

    @Test func connectionRefusedIsTransient() throws {
        // A port that was free a moment ago: nothing listens there.
        let socket = try #require(FreePort.reserve())
        let transport = SMTPTransport(configuration: SMTPConfiguration(host: "127.0.0.1", port: socket, security: .none, connectTimeout: .seconds(2)))
        let error = try #require(throws: MailError.self) { try transport.send(SMTPPeer.mail()) }
        #expect(error.code == .couldNotConnect, "\(error)")
        #expect(error.isTransient)
    }

    @Test(arguments: ["plain", "starttls"])
    func twentyMailsReuseOneConnection(listener: String) throws {
        guard let peer = SMTPPeer.require() else { return }
        let url = listener == "plain"
            ? "smtp://127.0.0.1:\(peer.plainPort)?tls=none"
            : "smtp://\(SMTPPeer.user):\(SMTPPeer.password)@127.0.0.1:\(peer.startTLSPort)?cafile=\(peer.caFile)"
        let transport = try peer.transport(url)
        let recipient = SMTPPeer.mail().to
        var opened = 0
        for index in 0..<20 {
            var mail = SMTPPeer.mail()
            mail.to = recipient
            mail.dedupeKey = "reuse-\(index)"
            opened += try transport.send(mail).connectionsOpened
        }
        let deliveries = try peer.deliveries(to: recipient.address)
        #expect(deliveries.count == 20)
        #expect(Set(deliveries.map(\.session)).count <= 2)
        #expect(opened <= 2)
    }
}
