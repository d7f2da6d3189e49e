import Foundation
package import TollgateMail
import TollgateStore

/// A mail to queue: which template, to whom, with what data, under which dedupe key.
///
/// Queue it with ``Outbox/enqueue(_:on:now:)`` inside the transaction that makes the change the
/// mail reports, so a change that rolls back queues nothing. The worker renders it later; the
/// `brand` object and default links are added at send time from the configuration.
package struct OutboxMail: Sendable, Equatable {
    /// The mail's template name (a ``MailTemplate``'s name; stored, and listed, as text).
    package var template: String
    /// The recipient's address.
    package var to: String
    /// The recipient's display name.
    package var toName: String?
    /// Tollgate's id of the customer the mail concerns (`cus_…`), for listing.
    package var customerID: String?
    /// The template's data.
    package var data: MustacheValue
    /// Unique per change: a second enqueue with the same key queues nothing.
    package var dedupeKey: String

    /// A mail the code sends: `data` holds only names ``MailTemplate/data`` declares for it (a
    /// debug build traps on any other, so a test that queues the mail finds the mismatch).
    package init(_ template: MailTemplate, to: String, toName: String? = nil, customerID: String? = nil, data: MustacheValue, dedupeKey: String) {
        assert(template.undeclaredPaths(in: data).isEmpty,
               "mail \(template.name): data \(template.undeclaredPaths(in: data)) not declared in MailTemplate.data")
        self.init(templateName: template.name, to: to, toName: toName, customerID: customerID, data: data, dedupeKey: dedupeKey)
    }

    /// A mail by template name, unchecked: for tests of what the worker does with a name no
    /// template has (a row queued by another version).
    init(templateName template: String, to: String, toName: String? = nil, customerID: String? = nil, data: MustacheValue, dedupeKey: String) {
        self.template = template
        self.to = to
        self.toName = toName
        self.customerID = customerID
        self.data = data
        self.dedupeKey = dedupeKey
    }
}
