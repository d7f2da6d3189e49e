package import Foundation
package import Tollgate
package import TollgateMail

/// How the outbox worker sends mail, from the `TOLLGATE_MAIL_*` variables. Present only when
/// `TOLLGATE_MAIL_URL` is set; without it mail is still queued (and kept) but nothing is sent.
package struct MailSettings: Sendable {
    /// `TOLLGATE_MAIL_URL`: the transport (SMTP, Postmark or files); see ``MailTransportConfiguration``.
    package var transport: MailTransportConfiguration
    /// `TOLLGATE_MAIL_FROM`: the sender, `Name <address>` or `address`. Required with a mail URL.
    package var from: MailAddress
    /// `TOLLGATE_MAIL_REPLY_TO`: where replies go; also the `brand.support_email` of the templates.
    package var replyTo: MailAddress?
    /// `TOLLGATE_MAIL_RATE`: the provider's rate, shared by the workers; nil for `off` (unthrottled).
    package var rate: RateLimitPolicy?
    /// `TOLLGATE_MAIL_RECIPIENT_RATE`: the cap per recipient; nil for `off`. Mail over the cap
    /// waits; it is never dropped.
    package var recipientRate: RateLimitPolicy?
    /// `TOLLGATE_MAIL_MAX_ATTEMPTS`: attempts before a mail is `dead`.
    package var maxAttempts: Int
    /// `TOLLGATE_MAIL_WORKERS`: sending threads per process, each with its own connection.
    package var workers: Int
    /// `TOLLGATE_MAIL_RETRY_SECONDS`: the first retry's delay, doubled after each further failure
    /// (with jitter, capped at an hour).
    package var retryBase: TimeInterval
    /// `TOLLGATE_MAIL_LEASE_SECONDS`: how long a claimed mail is held; a worker that dies holding
    /// mail gives it back after this.
    package var leaseSeconds: TimeInterval
    /// `TOLLGATE_APP_URL`: the SaaS's URL, used for the templates' `brand.url` and default links.
    package var appURL: String
    /// `TOLLGATE_MAIL_BRAND`: the product name in mails. Default: the sender's display name.
    package var brandName: String

    package init(
        transport: MailTransportConfiguration, from: MailAddress, replyTo: MailAddress?, rate: RateLimitPolicy?, recipientRate: RateLimitPolicy?,
        maxAttempts: Int, workers: Int, retryBase: TimeInterval, leaseSeconds: TimeInterval, appURL: String, brandName: String
    ) {
        self.transport = transport
        self.from = from
        self.replyTo = replyTo
        self.rate = rate
        self.recipientRate = recipientRate
        self.maxAttempts = maxAttempts
        self.workers = workers
        self.retryBase = retryBase
        self.leaseSeconds = leaseSeconds
        self.appURL = appURL
        self.brandName = brandName
    }
}
