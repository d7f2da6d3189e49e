import Foundation
import Tollgate
package import TollgateMail
import TollgateOutbox

extension MailSettings {
    /// Nil when `TOLLGATE_MAIL_URL` is unset (or invalid: the problem is in `values`). The sender
    /// and the app's URL are required with it.
    init?(values: inout SettingValues) {
        let transport = values[Settings.mailURL]
        let from = values[Settings.mailFrom]
        let appURL = values[Settings.appURL]
        let replyTo = values[Settings.mailReplyTo]
        let rate = values[Settings.mailRate]
        let recipientRate = values[Settings.mailRecipientRate]
        let maxAttempts = values[Settings.mailMaxAttempts]
        let workers = values[Settings.mailWorkers]
        let retryBase = TimeInterval(values[Settings.mailRetrySeconds])
        let leaseSeconds = TimeInterval(values[Settings.mailLeaseSeconds])
        let brand = values[Settings.mailBrand]
        guard let transport else { return nil }
        if from == nil { values.fail(Settings.mailFrom.name, "is required when TOLLGATE_MAIL_URL is set") }
        if appURL == nil { values.fail(Settings.appURL.name, "is required when TOLLGATE_MAIL_URL is set") }
        guard let from, let appURL else { return nil }
        self.init(
            transport: transport, from: from, replyTo: replyTo, rate: rate, recipientRate: recipientRate, maxAttempts: maxAttempts,
            workers: workers, retryBase: retryBase, leaseSeconds: leaseSeconds, appURL: appURL, brandName: brand ?? from.name ?? from.domain)
    }
}

extension Configuration {
    /// The mail templates (`TOLLGATE_TEMPLATES_DIR`, or `templates/` found like the migrations),
    /// loaded and checked (``mailTemplates(directory:)``).
    package func mailTemplates() throws(ConfigurationError) -> TemplateSet {
        try Self.mailTemplates(directory: try TemplatesDirectory.locate(configured: templatesDirectory))
    }

    /// The mail templates of `directory`, loaded and checked: every template parses, every partial
    /// exists, and every mail the code sends (``MailTemplate``) has its three parts and looks up
    /// only names its data has. The error lists every problem, one line each.
    package static func mailTemplates(directory: String) throws(ConfigurationError) -> TemplateSet {
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
