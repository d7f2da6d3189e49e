import Foundation
import Tollgate
import TollgateMail

/// The mail variables (``MailSettings``).
extension Settings {
    static let mail: [any SettingDescription] = [
        mailURL, mailFrom, mailReplyTo, appURL, mailBrand, mailRate, mailRecipientRate, mailWorkers, mailMaxAttempts, mailRetrySeconds,
        mailLeaseSeconds, usageAlertMail, templatesDirectory,
    ]

    static let usageAlertMail = Setting(
        "TOLLGATE_USAGE_ALERT_MAIL", .oneOf([false, true], name: \.description), default: false,
        summary: "`true`: mail the customer when usage reaches one of a feature's alert percentages (template `usage_threshold`) "
            + "and when their credits fall below a pool's `low_balance` or run out (template `credits_low`)")

    static let mailURL = Setting(
        "TOLLGATE_MAIL_URL",
        SettingFormat<MailTransportConfiguration>(
            accepts: "`smtp://…`, `smtps://…`, `postmark://TOKEN@host` or `file:///DIR`",
            parse: { text throws(SettingProblem) in
                do throws(MailError) {
                    return try MailTransportConfiguration.parse(url: text)
                } catch {
                    throw SettingProblem(error.message)
                }
            },
            text: { "\($0)" }).optional,
        default: nil,
        // The transport's description leaves out passwords and tokens.
        secrecy: .masked { text in (try? MailTransportConfiguration.parse(url: text)).map { "\($0)" } ?? Redaction.mask },
        summary: "where mail goes (see \"Sending\" below; passwords and tokens are masked when printed). Unset: mail is queued in the outbox but not sent")

    static let mailFrom = Setting(
        "TOLLGATE_MAIL_FROM", SettingFormat.mailAddress.optional, default: nil,
        summary: "the sender, `Acme <billing@acme.example>`; required with a mail URL")

    static let mailReplyTo = Setting(
        "TOLLGATE_MAIL_REPLY_TO", SettingFormat.mailAddress.optional, default: nil, summary: "Reply-To, and the templates' support address")

    static let appURL = Setting(
        "TOLLGATE_APP_URL",
        SettingFormat.httpURL(example: "https://app.example.com").map({ url in
            var url = url
            while url.hasSuffix("/") { url.removeLast() }
            return url
        }, back: { $0 }).optional,
        default: nil, summary: "the SaaS's URL for links in mail; required with a mail URL")

    static let mailBrand = Setting(
        "TOLLGATE_MAIL_BRAND", SettingFormat.text.optional, default: nil, unset: "the sender's name", summary: "the product name in mail")

    static let mailRate = Setting(
        "TOLLGATE_MAIL_RATE", .rateLimit(policy: "mail"), default: RateLimitPolicy(name: "mail", limit: 10, windowSeconds: 1, burst: 10),
        summary: "the provider's rate, shared by the workers")

    static let mailRecipientRate = Setting(
        "TOLLGATE_MAIL_RECIPIENT_RATE", .rateLimit(policy: "mail-recipient"),
        default: RateLimitPolicy(name: "mail-recipient", limit: 20, windowSeconds: 3600, burst: 5),
        summary: "cap per recipient; mail over it waits, it is never dropped")

    static let mailWorkers = Setting(
        "TOLLGATE_MAIL_WORKERS", .integer(1...32), default: 2, summary: "sending threads per process, one connection each")

    static let mailMaxAttempts = Setting(
        "TOLLGATE_MAIL_MAX_ATTEMPTS", .integer(1...100), default: 8, summary: "attempts before a mail is `dead`")

    static let mailRetrySeconds = Setting(
        "TOLLGATE_MAIL_RETRY_SECONDS", .integer(0...3600), default: 30,
        summary: "first retry delay in seconds, doubled per failure with jitter, capped at an hour")

    static let mailLeaseSeconds = Setting(
        "TOLLGATE_MAIL_LEASE_SECONDS", .integer(1...3600), default: 60,
        summary: "seconds a claimed mail is held before another worker may take it")

    static let templatesDirectory = Setting(
        "TOLLGATE_TEMPLATES_DIR", SettingFormat.text(accepts: "a folder").optional, default: nil, unset: "auto",
        summary: "the mail templates folder; by default `./templates` or the checkout's")
}

extension SettingFormat where Value == MailAddress {
    /// `Name <address>` or `address`.
    static var mailAddress: SettingFormat<MailAddress> {
        SettingFormat<MailAddress>(
            accepts: "`Name <address>` or `address`",
            parse: { text throws(SettingProblem) in
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                var address = MailAddress(trimmed)
                if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
                    let name = trimmed[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                    address = MailAddress(String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]), name: name.isEmpty ? nil : name)
                }
                guard address.isValid, !(address.name ?? "").contains(where: { $0.isNewline }) else {
                    throw SettingProblem("expected an address such as Acme <billing@acme.example>, got \"\(text)\"")
                }
                return address
            },
            text: { address in address.name.map { "\($0) <\(address.address)>" } ?? address.address })
    }
}
