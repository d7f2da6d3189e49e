import Foundation
import Synchronization
package import TollgateLogging

/// Where and how ``SMTPTransport`` connects. Parsed from an `smtp://` or `smtps://` URL by
/// ``MailTransportConfiguration/parse(url:)``.
package struct SMTPConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// How the connection is protected.
    package enum Security: String, Sendable, Equatable {
        /// `smtp://`: plain connection upgraded with STARTTLS, which is required
        /// (`CURLOPT_USE_SSL = CURLUSESSL_ALL`): a server without STARTTLS fails with ``MailError/Code/tls``.
        case startTLS = "starttls"
        /// `smtps://`: TLS from the first byte (port 465).
        case implicitTLS = "implicit"
        /// `smtp://…?tls=none`: no TLS at all (local relays and tests only).
        case none = "none"
    }

    package var host: String
    package var port: Int
    package var security: Security
    /// The EHLO name (the URL's path); empty lets libcurl choose its default.
    package var ehloName: String
    package var username: String?
    /// Never printed: ``description`` and errors leave it out.
    package var password: String?
    /// A PEM file of CA certificates to trust instead of the system's (`?cafile=`).
    package var caFile: String?
    /// The longest wait for TCP, TLS and the greeting (`?connect_timeout=` seconds). Default 10 s.
    package var connectTimeout: Duration
    /// The longest one send may take (`?timeout=` seconds). Default 30 s.
    package var timeout: Duration

    package init(
        host: String, port: Int, security: Security, ehloName: String = "", username: String? = nil, password: String? = nil,
        caFile: String? = nil, connectTimeout: Duration = .seconds(10), timeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.ehloName = ehloName
        self.username = username
        self.password = password
        self.caFile = caFile
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }

    /// The URL libcurl gets: no credentials, the EHLO name as its path.
    var curlURL: String {
        let scheme = security == .implicitTLS ? "smtps" : "smtp"
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let ehlo = ehloName.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? ""
        return "\(scheme)://\(hostPart):\(port)/\(ehlo)"
    }

    /// The server and settings without the password.
    package var description: String {
        var text = "\(curlURL) (tls: \(security.rawValue)"
        if let username { text += ", user: \(username)" }
        if let caFile { text += ", cafile: \(caFile)" }
        return text + ")"
    }
}

/// Sends mail over SMTP with libcurl: STARTTLS required on `smtp://` unless turned off, implicit
/// TLS on `smtps://`, AUTH when the configuration has a user name.
///
/// The transport keeps one libcurl easy handle, and with it one live connection that later sends
/// reuse (no new TCP/TLS handshake or AUTH per mail). Sends on one transport are serialised by a
/// lock; use one transport per worker thread for parallel connections.
///
/// Note that when a server does not advertise AUTH, libcurl skips authentication silently.
package final class SMTPTransport: MailTransport {
    package let configuration: SMTPConfiguration
    private let logger: Logger
    /// The kept easy handle; `nil` before the first send.
    private let connection = Mutex<SMTPConnection?>(nil)

    package init(configuration: SMTPConfiguration, logger: Logger = .disabled) {
        self.configuration = configuration
        self.logger = logger.labeled("smtp")
    }

    package func send(_ mail: OutgoingMail) throws(MailError) -> SentMail {
        let message = Array(try mail.mime().utf8)
        let configuration = configuration
        let result = connection.withLock { connection -> Result<(reply: String?, connects: Int), MailError> in
            do throws(MailError) {
                let handle: SMTPConnection
                if let existing = connection {
                    handle = existing
                } else {
                    handle = try SMTPConnection()
                    connection = handle
                }
                return .success(try handle.send(message, sender: mail.from.address, recipient: mail.to.address, configuration: configuration))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let (reply, connects)):
            logger.debug("mail sent", ["server": configuration.host, "message_id": mail.messageID, "new_connections": String(connects)])
            return SentMail(providerMessageID: mail.messageID, sentAt: Date(), serverResponse: reply, connectionsOpened: connects)
        case .failure(let error):
            logger.info("mail not sent", ["server": configuration.host, "message_id": mail.messageID, "error": error.description])
            throw error
        }
    }
}
