import Foundation
import TollgateTestSupport
@testable import TollgateMail

extension SMTPPeer {
    /// A transport for `url` (parsed as TOLLGATE_MAIL_URL would be).
    func transport(_ url: String) throws -> SMTPTransport {
        guard case .smtp(let configuration) = try MailTransportConfiguration.parse(url: url) else { throw MailError(code: .other, message: "not smtp") }
        return SMTPTransport(configuration: configuration)
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
