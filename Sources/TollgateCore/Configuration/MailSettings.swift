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
    /// `TOLLGATE_MAIL_RATE`: the provider's rate, shared by the workers (`LIMIT/SECONDS[:BURST]`,
    /// default `10/1`), or nil for `off` (unthrottled).
    public var rate: RateLimitPolicy?
    /// `TOLLGATE_MAIL_RECIPIENT_RATE`: the cap per recipient (default `20/3600:5`), or nil for
    /// `off`. Mail over the cap waits; it is never dropped.
    public var recipientRate: RateLimitPolicy?
    /// `TOLLGATE_MAIL_MAX_ATTEMPTS`: attempts before a mail is `dead`. Default 8.
    public var maxAttempts: Int
    /// `TOLLGATE_MAIL_WORKERS`: sending threads per process, each with its own connection. Default 2.
    public var workers: Int
    /// `TOLLGATE_MAIL_RETRY_SECONDS`: the first retry's delay, doubled after each further failure
    /// (with jitter, capped at an hour). Default 30.
    public var retryBase: TimeInterval
    /// `TOLLGATE_MAIL_LEASE_SECONDS`: how long a claimed mail is held; a worker that dies holding
    /// mail gives it back after this. Default 60.
    public var leaseSeconds: TimeInterval
    /// `TOLLGATE_APP_URL`: the SaaS's URL, used for the templates' `brand.url` and default links.
    public var appURL: String
    /// `TOLLGATE_MAIL_BRAND`: the product name in mails. Default: the sender's display name.
    public var brandName: String

    static let defaults: [String: String] = [
        "TOLLGATE_MAIL_RATE": "10/1",
        "TOLLGATE_MAIL_RECIPIENT_RATE": "20/3600:5",
        "TOLLGATE_MAIL_MAX_ATTEMPTS": "8",
        "TOLLGATE_MAIL_WORKERS": "2",
        "TOLLGATE_MAIL_RETRY_SECONDS": "30",
        "TOLLGATE_MAIL_LEASE_SECONDS": "60",
    ]

    static let variables: [(name: String, secret: Bool, summary: String)] = [
        ("TOLLGATE_MAIL_URL", true, "smtp://…, smtps://…, postmark://TOKEN@host or file:///dir; unset: mail is queued but not sent"),
        ("TOLLGATE_MAIL_FROM", false, "the sender, Name <address> (required with TOLLGATE_MAIL_URL)"),
        ("TOLLGATE_MAIL_REPLY_TO", false, "Reply-To address and the templates' support address"),
        ("TOLLGATE_MAIL_RATE", false, "provider rate shared by the workers: LIMIT/SECONDS[:BURST], or off"),
        ("TOLLGATE_MAIL_RECIPIENT_RATE", false, "cap per recipient (over it, mail waits): LIMIT/SECONDS[:BURST], or off"),
        ("TOLLGATE_MAIL_MAX_ATTEMPTS", false, "attempts before a mail is dead (1–100)"),
        ("TOLLGATE_MAIL_WORKERS", false, "sending threads per process, one connection each (1–32)"),
        ("TOLLGATE_MAIL_RETRY_SECONDS", false, "first retry delay in seconds, doubled per failure with jitter (0–3600)"),
        ("TOLLGATE_MAIL_LEASE_SECONDS", false, "seconds a claimed mail is held before another worker may take it (1–3600)"),
        ("TOLLGATE_APP_URL", false, "the SaaS's URL for links in mail (required with TOLLGATE_MAIL_URL)"),
        ("TOLLGATE_MAIL_BRAND", false, "product name in mail (default: the sender's display name)"),
        ("TOLLGATE_TEMPLATES_DIR", false, "folder with the mail templates (default: templates/ found like migrations/)"),
    ]

    /// Nil when `TOLLGATE_MAIL_URL` is unset.
    init?(reader: EnvironmentReader) throws(ConfigurationError) {
        guard let url = reader.optional("TOLLGATE_MAIL_URL") else { return nil }
        do {
            transport = try MailTransportConfiguration.parse(url: url)
        } catch {
            throw ConfigurationError(variable: "TOLLGATE_MAIL_URL", message: error.message)
        }
        from = try Self.address(reader.string("TOLLGATE_MAIL_FROM"), variable: "TOLLGATE_MAIL_FROM")
        replyTo = try reader.optional("TOLLGATE_MAIL_REPLY_TO").map { text throws(ConfigurationError) in
            try Self.address(text, variable: "TOLLGATE_MAIL_REPLY_TO")
        }
        rate = try Configuration.parseRateLimit(reader.string("TOLLGATE_MAIL_RATE"), variable: "TOLLGATE_MAIL_RATE", name: "mail")
        recipientRate = try Configuration.parseRateLimit(
            reader.string("TOLLGATE_MAIL_RECIPIENT_RATE"), variable: "TOLLGATE_MAIL_RECIPIENT_RATE", name: "mail-recipient")
        maxAttempts = try reader.integer("TOLLGATE_MAIL_MAX_ATTEMPTS", in: 1...100)
        workers = try reader.integer("TOLLGATE_MAIL_WORKERS", in: 1...32)
        retryBase = TimeInterval(try reader.integer("TOLLGATE_MAIL_RETRY_SECONDS", in: 0...3600))
        leaseSeconds = TimeInterval(try reader.integer("TOLLGATE_MAIL_LEASE_SECONDS", in: 1...3600))
        appURL = try reader.string("TOLLGATE_APP_URL")
        guard let components = URLComponents(string: appURL), ["http", "https"].contains(components.scheme ?? ""),
              components.host?.isEmpty == false, components.query == nil else {
            throw ConfigurationError(variable: "TOLLGATE_APP_URL", message: "must be an http(s) URL such as https://app.example.com")
        }
        while appURL.hasSuffix("/") { appURL.removeLast() }
        brandName = reader.optional("TOLLGATE_MAIL_BRAND") ?? from.name ?? from.domain
    }

    /// `Name <address>` or `address`, validated.
    static func address(_ text: String, variable: String) throws(ConfigurationError) -> MailAddress {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var address = MailAddress(trimmed)
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            let name = trimmed[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            address = MailAddress(String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]), name: name.isEmpty ? nil : name)
        }
        guard address.isValid, !(address.name ?? "").contains(where: { $0.isNewline }) else {
            throw ConfigurationError(variable: variable, message: "expected an address such as Acme <billing@acme.example>, got \"\(text)\"")
        }
        return address
    }
}

extension Configuration {
    /// The mail templates (`TOLLGATE_TEMPLATES_DIR`, or `templates/` found like the migrations),
    /// loaded and checked: every mail has its three parts and every partial exists.
    public func mailTemplates() throws(ConfigurationError) -> TemplateSet {
        let directory = try TemplatesDirectory.locate(configured: templatesDirectory)
        do {
            return try TemplateSet.load(directory: directory)
        } catch {
            throw ConfigurationError(variable: "TOLLGATE_TEMPLATES_DIR", message: String(describing: error))
        }
    }
}
