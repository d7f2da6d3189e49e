import Foundation
import TollgateBase
package import TollgateMail

/// How a queued mail becomes the mail sent: its template rendered with its stored data plus the
/// brand and the default links from the configuration (where the data has none). One rule, used
/// by ``OutboxWorker`` to send and by the admin console to preview (docs/console.md).
package struct MailRenderer: Sendable {
    let templates: TemplateSet
    /// `brand` and the default links, added to a mail's data where it has none.
    let fallbacks: [String: MustacheValue]

    /// `settings` nil (mail not configured): nothing is added to the data.
    package init(templates: TemplateSet, settings: MailSettings?) {
        self.templates = templates
        fallbacks = settings.map(Self.fallbacks) ?? [:]
    }

    /// Mail `template` rendered with `data` (the stored JSON).
    package func render(template: String, data: String) throws -> RenderedMail {
        let decoded = try JSONDecoder().decode(MustacheValue.self, from: Data(data.utf8))
        return try templates.render(template, data: defaults(adding: decoded))
    }

    /// `data` with `brand` and the default links (`manage`, `update_payment`, `resubscribe`,
    /// `reconnect`) filled in from the configuration where the data has none.
    func defaults(adding data: MustacheValue) -> MustacheValue {
        guard case .object(var members) = data else { return data }
        for (key, value) in fallbacks where members[key] == nil { members[key] = value }
        return .object(members)
    }

    package static func fallbacks(_ settings: MailSettings) -> [String: MustacheValue] {
        let app = settings.appURL
        return [
            "brand": ["name": .string(settings.brandName), "url": .string(app),
                      "support_email": .string((settings.replyTo ?? settings.from).address)],
            "manage": ["url": .string(app + "/billing")],
            "update_payment": ["url": .string(app + "/billing")],
            "resubscribe": ["url": .string(app + "/pricing")],
            "reconnect": ["url": .string(app + "/integrations")],
        ]
    }
}
