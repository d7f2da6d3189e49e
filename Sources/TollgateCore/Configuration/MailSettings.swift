import Foundation
import Tollgate
import TollgateMail

/// How the outbox worker sends mail, from the `TOLLGATE_MAIL_*` variables. Present only when
/// `TOLLGATE_MAIL_URL` is set; without it mail is still queued (and kept) but nothing is sent.
public struct MailSettings: Sendable {
    /// `TOLLGATE_MAIL_URL`: the transport (SMTP, Postmark or files); see ``MailTransportConfiguration``.
    public var transport: MailTransportConfiguration
    /// `TOLLGATE_MAIL_FROM`: the sender, `Name <address>` or `address`. Required with a mail URL.
    public var from: MailAddress
    /// `TOLLGATE_MAIL_REPLY_TO`: where replies go; also the `brand.support_email` of the templates.
    public var replyTo: MailAddress?
    /// `TOLLGATE_MAIL_RATE`: the provider's rate, shared by the workers; nil for `off` (unthrottled).
    public var rate: RateLimitPolicy?
    /// `TOLLGATE_MAIL_RECIPIENT_RATE`: the cap per recipient; nil for `off`. Mail over the cap
    /// waits; it is never dropped.
    public var recipientRate: RateLimitPolicy?
    /// `TOLLGATE_MAIL_MAX_ATTEMPTS`: attempts before a mail is `dead`.
    public var maxAttempts: Int
    /// `TOLLGATE_MAIL_WORKERS`: sending threads per process, each with its own connection.
    public var workers: Int
    /// `TOLLGATE_MAIL_RETRY_SECONDS`: the first retry's delay, doubled after each further failure
    /// (with jitter, capped at an hour).
    public var retryBase: TimeInterval
    /// `TOLLGATE_MAIL_LEASE_SECONDS`: how long a claimed mail is held; a worker that dies holding
    /// mail gives it back after this.
    public var leaseSeconds: TimeInterval
    /// `TOLLGATE_APP_URL`: the SaaS's URL, used for the templates' `brand.url` and default links.
    public var appURL: String
    /// `TOLLGATE_MAIL_BRAND`: the product name in mails. Default: the sender's display name.
    public var brandName: String

    /// Nil when `TOLLGATE_MAIL_URL` is unset (or invalid: the problem is in `values`). The sender
    /// and the app's URL are required with it.
    init?(values: inout SettingValues) {
        let transport = values[Settings.mailURL]
        let from = values[Settings.mailFrom]
        let appURL = values[Settings.appURL]
        replyTo = values[Settings.mailReplyTo]
        rate = values[Settings.mailRate]
        recipientRate = values[Settings.mailRecipientRate]
        maxAttempts = values[Settings.mailMaxAttempts]
        workers = values[Settings.mailWorkers]
        retryBase = TimeInterval(values[Settings.mailRetrySeconds])
        leaseSeconds = TimeInterval(values[Settings.mailLeaseSeconds])
        let brand = values[Settings.mailBrand]
        guard let transport else { return nil }
        if from == nil { values.fail(Settings.mailFrom.name, "is required when TOLLGATE_MAIL_URL is set") }
        if appURL == nil { values.fail(Settings.appURL.name, "is required when TOLLGATE_MAIL_URL is set") }
        guard let from, let appURL else { return nil }
        self.transport = transport
        self.from = from
        self.appURL = appURL
        brandName = brand ?? from.name ?? from.domain
    }
}

extension Configuration {
    /// The mail templates (`TOLLGATE_TEMPLATES_DIR`, or `templates/` found like the migrations),
    /// loaded and checked (``mailTemplates(directory:)``).
    public func mailTemplates() throws(ConfigurationError) -> TemplateSet {
        try Self.mailTemplates(directory: try TemplatesDirectory.locate(configured: templatesDirectory))
    }

    /// The mail templates of `directory`, loaded and checked: every template parses, every partial
    /// exists, and every mail the code sends (``MailTemplate``) has its three parts and looks up
    /// only names its data has. The error lists every problem, one line each.
    public static func mailTemplates(directory: String) throws(ConfigurationError) -> TemplateSet {
        let variable = Settings.templatesDirectory.name
        let templates: TemplateSet
        do {
            templates = try TemplateSet.load(directory: directory)
        } catch {
            throw ConfigurationError(variable: variable, message: error.description)
        }
        let problems = MailTemplate.problems(in: templates, directory: directory)
        guard problems.isEmpty else {
            throw ConfigurationError(issues: problems.map { .init(variable: variable, message: $0.description) })
        }
        return templates
    }
}
