import Foundation
import Testing

/// The aiosmtpd peer started by `scripts/test` (`scripts/peers/smtp start DIR`): its directory
/// (CA certificate, `mail.jsonl`) and its three ports, from the `TOLLGATE_TEST_SMTP_*` variables.
public struct SMTPPeer: Sendable {
    /// One line of `mail.jsonl`.
    public struct Delivery: Decodable, Sendable {
        public var listener: String
        public var mail_from: String
        public var rcpt_tos: [String]
        public var session: String
        public var ehlo: String?
        public var tls: Bool
        public var tls_version: String?
        public var auth_user: String?
        public var data: String
    }

    public static let user = "tollgate"
    public static let password = "s3cret-pw"

    public let directory: String
    public let plainPort: Int
    public let startTLSPort: Int
    public let smtpsPort: Int

    /// The peer, or `nil` after recording a test issue that says how to start it.
    public static func require() -> SMTPPeer? {
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

    public var caFile: String { directory + "/cert.pem" }

    /// Deliveries to `recipient` recorded so far.
    public func deliveries(to recipient: String) throws -> [Delivery] {
        try allDeliveries().filter { $0.rcpt_tos.contains(recipient) }
    }

    /// Every delivery recorded so far.
    public func allDeliveries() throws -> [Delivery] {
        let path = directory + "/mail.jsonl"
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Delivery.self, from: Data($0.utf8)) }
    }
}
