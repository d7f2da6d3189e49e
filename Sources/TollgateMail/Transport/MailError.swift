/// Why a mail was not sent, with a ``code`` that tells a retry from a give-up.
///
/// ``isTransient`` is what the outbox worker looks at: a transient failure (connection refused,
/// timeout, an SMTP 4xx, a provider's 429 or 5xx) is retried later; anything else (a 5xx recipient
/// refusal, failed authentication, a TLS or configuration problem) is permanent. The
/// ``description`` is safe to log: SMTP passwords and provider tokens never appear in it.
import Foundation
package struct MailError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as an open set: new codes may be added.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The host did not resolve or refused the connection. Transient.
        package static let couldNotConnect = Code("could_not_connect")
        /// The connect or total timeout passed. Transient.
        package static let timedOut = Code("timed_out")
        /// The connection broke mid-conversation. Transient.
        package static let connectionLost = Code("connection_lost")
        /// The server answered 4xx (SMTP) or the provider 429/5xx: try again later. Transient.
        package static let temporaryFailure = Code("temporary_failure")
        /// The server refused the recipient with a 5xx, or the provider called the address invalid
        /// or inactive. Permanent.
        package static let recipientRejected = Code("recipient_rejected")
        /// The server or provider refused the credentials. Permanent.
        package static let authenticationFailed = Code("authentication_failed")
        /// TLS could not be set up: certificate not trusted, STARTTLS not offered though required,
        /// or the server requires TLS the URL turned off. Permanent (it needs a configuration change).
        package static let tls = Code("tls")
        /// Any other 5xx from the server, or a 4xx from the provider. Permanent.
        package static let permanentFailure = Code("permanent_failure")
        /// The mail cannot be rendered as given (a header with a line break, an invalid address). Permanent.
        package static let invalidMessage = Code("invalid_message")
        /// `TOLLGATE_MAIL_URL` (or a transport's settings) is invalid. Permanent.
        package static let invalidConfiguration = Code("invalid_configuration")
        /// Writing a `.eml` file failed. Transient (a full disk may drain).
        package static let fileSystem = Code("file_system")
        /// Anything else. Permanent.
        package static let other = Code("other")

        package var description: String { rawValue }
    }

    package var code: Code
    /// A readable explanation, free of secrets.
    package var message: String
    /// The SMTP reply code or the provider's HTTP status, when there was one.
    package var status: Int?

    package init(code: Code, message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    /// `true` when sending the same mail again later may work.
    package var isTransient: Bool {
        [.couldNotConnect, .timedOut, .connectionLost, .temporaryFailure, .fileSystem].contains(code)
    }

    /// `true` when retrying will not help (the opposite of ``isTransient``).
    package var isPermanent: Bool { !isTransient }

    package var description: String {
        var text = "\(code) (\(isTransient ? "transient" : "permanent")): \(message)"
        if let status { text += " [status \(status)]" }
        return text
    }

    /// `message` with every occurrence of each secret replaced by `***`.
    static func redacting(_ message: String, secrets: [String]) -> String {
        var text = message
        for secret in secrets where secret.count >= 3 {
            text = text.replacingOccurrences(of: secret, with: "***")
        }
        return text
    }
}
