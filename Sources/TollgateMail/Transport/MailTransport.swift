package import Foundation

/// Something that delivers an ``OutgoingMail``: SMTP (``SMTPTransport``), an HTTP provider
/// (``PostmarkTransport``) or `.eml` files (``FileTransport``). Choose one with
/// ``MailTransportConfiguration/parse(url:)``.
///
/// ``send(_:)`` blocks the calling thread until the server accepted or refused the mail: call it
/// from a worker thread, never from the Swift concurrency pool.
package protocol MailTransport: Sendable {
    /// Delivers `mail` to its one recipient.
    ///
    /// - Throws: ``MailError``; ``MailError/isTransient`` says whether a retry may help.
    func send(_ mail: OutgoingMail) throws(MailError) -> SentMail
}

/// What a transport reports after the server or provider accepted a mail.
package struct SentMail: Sendable, Equatable {
    /// The provider's id (Postmark's `MessageID`); for SMTP and files, the mail's own
    /// `Message-ID` (``OutgoingMail/messageID``).
    package var providerMessageID: String
    /// When the server accepted the mail.
    package var sentAt: Date
    /// The server's final reply (SMTP: the reply to the end of `DATA`, e.g. `250 2.0.0 OK queued as …`).
    package var serverResponse: String?
    /// New connections opened for this mail (SMTP: 0 when the previous connection was reused).
    package var connectionsOpened: Int

    package init(providerMessageID: String, sentAt: Date, serverResponse: String? = nil, connectionsOpened: Int = 0) {
        self.providerMessageID = providerMessageID
        self.sentAt = sentAt
        self.serverResponse = serverResponse
        self.connectionsOpened = connectionsOpened
    }
}
