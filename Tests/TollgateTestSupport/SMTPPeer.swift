import Foundation
import Testing

/// The aiosmtpd peer started by `scripts/test` (`scripts/peers/smtp start DIR`): its directory
/// (CA certificate, `mail.jsonl`) and its three ports, from the `TOLLGATE_TEST_SMTP_*` variables.
package struct SMTPPeer: Sendable {
    /// One line of `mail.jsonl`.
    package struct Delivery: Decodable, Sendable {
        package var listener: String
        package var mail_from: String
        package var rcpt_tos: [String]
        package var session: String
        package var ehlo: String?
        package var tls: Bool
        package var tls_version: String?
        package var auth_user: String?
        package var data: String
    }

    package static let user = "tollgate"
    package static let password = "s3cret-pw"

    package let directory: String
    package let plainPort: Int
    package let startTLSPort: Int
    package let smtpsPort: Int

    /// The peer, or `nil` after recording a test issue that says how to start it.
    package static func require() -> SMTPPeer? {
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

    package var caFile: String { directory + "/cert.pem" }

    /// Deliveries to `recipient` recorded so far.
    package func deliveries(to recipient: String) throws -> [Delivery] {
        try allDeliveries().filter { $0.rcpt_tos.contains(recipient) }
    }

    /// Every delivery recorded so far.
    package func allDeliveries() throws -> [Delivery] {
        let path = directory + "/mail.jsonl"
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Delivery.self, from: Data($0.utf8)) }
    }
}
