import Foundation
import Testing
@testable import TollgateMail

/// The aiosmtpd peer started by `scripts/test` (`scripts/peers/smtp start DIR`): its directory
/// (CA certificate, `mail.jsonl`) and its three ports, from the `TOLLGATE_TEST_SMTP_*` variables.
struct SMTPPeer {
    /// One line of `mail.jsonl`.
    struct Delivery: Decodable {
        var listener: String
        var mail_from: String
        var rcpt_tos: [String]
        var session: String
        var ehlo: String?
        var tls: Bool
        var tls_version: String?
        var auth_user: String?
        var data: String
    }

    static let user = "tollgate"
    static let password = "s3cret-pw"

    let directory: String
    let plainPort: Int
    let startTLSPort: Int
    let smtpsPort: Int

    /// The peer, or `nil` after recording a test issue that says how to start it.
    static func require() -> SMTPPeer? {
        let environment = ProcessInfo.processInfo.environment
        guard let directory = environment["TOLLGATE_TEST_SMTP_DIR"], !directory.isEmpty,
            let plain = environment["TOLLGATE_TEST_SMTP_PLAIN_PORT"].flatMap(Int.init),
            let startTLS = environment["TOLLGATE_TEST_SMTP_STARTTLS_PORT"].flatMap(Int.init),
            let smtps = environment["TOLLGATE_TEST_SMTP_SMTPS_PORT"].flatMap(Int.init)
        else {
            Issue.record("SMTP tests need TOLLGATE_TEST_SMTP_DIR and TOLLGATE_TEST_SMTP_{PLAIN,STARTTLS,SMTPS}_PORT: run scripts/test, or `read P S T < <(scripts/peers/smtp start DIR)` and export them")
            return nil
        }
        return SMTPPeer(directory: directory, plainPort: plain, startTLSPort: startTLS, smtpsPort: smtps)
    }

    var caFile: String { directory + "/cert.pem" }

    /// A transport for `url` (parsed as TOLLGATE_MAIL_URL would be).
    func transport(_ url: String) throws -> SMTPTransport {
        guard case .smtp(let configuration) = try MailTransportConfiguration.parse(url: url) else { throw MailError(code: .other, message: "not smtp") }
        return SMTPTransport(configuration: configuration)
    }

    /// Deliveries to `recipient` recorded so far.
    func deliveries(to recipient: String) throws -> [Delivery] {
        let text = try String(contentsOfFile: directory + "/mail.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Delivery.self, from: Data($0.utf8)) }
            .filter { $0.rcpt_tos.contains(recipient) }
    }

    /// A mail to a fresh recipient address (so parallel tests tell their deliveries apart).
    static func mail(to local: String = "ada", subject: String = "Payment failed") -> OutgoingMail {
        let unique = UUID().uuidString.lowercased().prefix(8)
        return OutgoingMail(
            from: MailAddress("billing@tollgate.example", name: "Tollgate"), to: MailAddress("\(local)+\(unique)@example.com"),
            subject: subject, text: "Hello,\nyour payment failed.\n", html: "<p>Hello,</p><p>your payment failed.</p>\n",
            dedupeKey: "payment_failed:\(unique)")
    }
}
