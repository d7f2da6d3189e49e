import Foundation
import TollgateBase
import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer
import TollgateMail
import TollgateOutbox

/// The admin pages: stored Stripe events (list by status, one with its payload, replay), the
/// outbox (mail by status, one rendered with its data, retry, purge dead), API keys (list, create,
/// revoke) and the catalog file's preview and apply. Admin scope, as in the API and the CLI.
extension Console {
    func webhooks(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        let status = try Self.status(StripeEventStatus.self, request)
        let page = try services.stripeEvents.list(status: status, page: try Self.pageRequest(request))
        return self.page("webhooks", title: "Stripe events", viewer: viewer, nav: "webhooks", data: [
            "filters": Self.filters(StripeEventStatus.allCases.map(\.rawValue), selected: status?.rawValue, path: "/admin/webhooks"),
            "events": .array(page.items.map { event in
                [
                    "id": .string(event.id), "href": .string("/admin/webhooks/" + PercentEncoding.encode(event.id)), "type": .string(event.type),
                    "objectId": Self.optional(event.objectID), "status": .string(event.status.rawValue), "attempts": .integer(event.attempts),
                    "receivedAt": .string(Self.time(event.receivedAt)), "lastError": Self.optional(event.lastError),
                ]
            }),
            "next": Self.nextLink(page, last: page.items.last?.id, path: "/admin/webhooks", status: status?.rawValue),
        ])
    }

    func webhook(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        let id = try request.pathParameter("id")
        guard let (event, payload) = try services.stripeEvents.find(id: id) else { throw DomainError.notFound("event \(id)") }
        return page("webhook", title: "Stripe event \(id)", viewer: viewer, nav: "webhooks", data: [
            "event": [
                "id": .string(event.id), "type": .string(event.type), "objectId": Self.optional(event.objectID), "status": .string(event.status.rawValue),
                "attempts": .integer(event.attempts), "created": .string(Self.time(event.created)), "receivedAt": .string(Self.time(event.receivedAt)),
                "appliedAt": Self.optional(event.appliedAt.map(Self.time)), "lastError": Self.optional(event.lastError), "note": Self.optional(event.note),
                "replayHref": .string("/admin/webhooks/" + PercentEncoding.encode(event.id) + "/replay"),
            ],
            "payload": .string(Self.pretty(payload)),
        ])
    }

    func replayWebhook(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        let id = try request.pathParameter("id")
        try services.stripeEvents.replay(id: id)
        services.stripeEventsArrived.notify()
        return ConsoleHTTP.redirect("/admin/webhooks/" + PercentEncoding.encode(id))
    }

    func outbox(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        let status = try Self.status(OutboxStatus.self, request)
        let page = try services.outbox.list(status: status, page: try Self.pageRequest(request))
        return self.page("outbox", title: "Outbox", viewer: viewer, nav: "outbox", data: [
            "filters": Self.filters(OutboxStatus.allCases.map(\.rawValue), selected: status?.rawValue, path: "/admin/outbox"),
            "mails": .array(page.items.map { mail in
                [
                    "id": .string(mail.id), "href": .string("/admin/outbox/" + PercentEncoding.encode(mail.id)), "template": .string(mail.template),
                    "recipient": .string(mail.recipient), "status": .string(mail.status.rawValue), "attempts": .integer(mail.attempts),
                    "createdAt": .string(Self.time(mail.createdAt)), "lastError": Self.optional(mail.lastError),
                ]
            }),
            "next": Self.nextLink(page, last: page.items.last?.id, path: "/admin/outbox", status: status?.rawValue),
        ])
    }

    func mail(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        let id = try request.pathParameter("id")
        guard let detail = try services.outbox.find(id: id) else { throw DomainError.notFound("message \(id)") }
        let mail = detail.message
        return page("mail", title: "Mail \(id)", viewer: viewer, nav: "outbox", data: [
            "mail": [
                "id": .string(mail.id), "template": .string(mail.template), "recipient": .string(mail.recipient),
                "recipientName": Self.optional(mail.recipientName), "status": .string(mail.status.rawValue), "attempts": .integer(mail.attempts),
                "createdAt": .string(Self.time(mail.createdAt)), "sentAt": Self.optional(mail.sentAt.map(Self.time)),
                "lastError": Self.optional(mail.lastError), "note": Self.optional(mail.note), "providerMessageId": Self.optional(mail.providerMessageID),
                "retryable": .bool(mail.status == .dead || mail.status == .suppressed),
                "retryHref": .string("/admin/outbox/" + PercentEncoding.encode(mail.id) + "/retry"),
            ],
            "data": .string(Self.pretty(detail.data)),
            "rendered": renderedMail(detail),
        ])
    }

    /// The mail as the worker would send it now (``MailRenderer``): subject, text, and the link the
    /// HTML preview's sandboxed iframe loads; or why it cannot be rendered.
    func renderedMail(_ detail: OutboxMessageDetail) -> MustacheValue {
        do {
            let rendered = try mail.get().render(template: detail.message.template, data: detail.data)
            return [
                "subject": .string(rendered.subject), "text": .string(rendered.text),
                "htmlHref": .string("/admin/outbox/" + PercentEncoding.encode(detail.message.id) + "/html"),
            ]
        } catch {
            return ["problem": .string(String(describing: error))]
        }
    }

    /// The mail's rendered HTML, alone, for the preview's `<iframe sandbox>`: served with its own
    /// strict policy (``ConsoleHTTP/framedMail(_:)``), never the console's layout.
    func mailHTML(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        let id = try request.pathParameter("id")
        guard let detail = try services.outbox.find(id: id) else { throw DomainError.notFound("message \(id)") }
        let rendered: RenderedMail
        do {
            rendered = try mail.get().render(template: detail.message.template, data: detail.data)
        } catch {
            throw DomainError.conflict("message \(id) cannot be rendered: \(error)")
        }
        return ConsoleHTTP.framedMail(rendered.html)
    }

    /// The confirm step of purging dead mail (a page, so it works without JavaScript): how many
    /// would go, and the instant the purge is bounded by (mail that dies after this page stays).
    func confirmPurge(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        let now = Date()
        let dead = try services.outbox.counts()[.dead] ?? 0
        return page("purge", title: "Purge dead mail", viewer: viewer, nav: "outbox", data: [
            "dead": .integer(dead), "before": .string(String(Int64((now.timeIntervalSince1970 * 1000).rounded(.up)))),
        ])
    }

    /// Deletes the dead mail last changed before the confirm page's instant, with the store
    /// operation `tollgate outbox purge --dead` and `POST /v1/outbox/purge` use.
    func purgeDead(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        guard let text = ConsoleHTTP.form(request)["before"], let milliseconds = Int64(text), milliseconds > 0 else {
            throw DomainError.invalid("before", "confirm the purge from its page")
        }
        let purged = try services.outbox.purgeDead(before: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        return page("purge", title: "Purge dead mail", viewer: viewer, nav: "outbox", data: ["purged": .integer(purged)])
    }

    // MARK: Catalog file

    /// The diff a pasted catalog file would make (``CatalogRepository/apply(_:dryRun:expectedRevision:now:)``
    /// with `dryRun`, as `tollgate plans apply --dry-run`), with an Apply form carrying the text and
    /// the revision it was computed at. A file that does not parse or check is a 400 listing its problems.
    func previewCatalog(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        try catalogPreview(ConsoleHTTP.form(request)["catalog"] ?? "", viewer: viewer)
    }

    /// Applies exactly the previewed text, through the same repository call as the CLI, provided the
    /// catalog is still at the previewed revision; otherwise a fresh preview (409) to look at again.
    func applyCatalog(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        let form = ConsoleHTTP.form(request)
        let text = form["catalog"] ?? ""
        guard let revision = Int64(form["revision"] ?? "") else { throw DomainError.invalid("revision", "apply from a preview") }
        let target: Catalog
        do {
            target = try Self.parseCatalog(text)
        } catch let error as CatalogError {
            return catalogProblems(text, error, viewer: viewer)
        }
        let stale = "The catalog changed since your preview (revision \(revision)): nothing was applied. This is the diff against the catalog as it is now."
        guard try services.catalog.revision() == revision else { return try catalogPreview(text, viewer: viewer, status: 409, notice: stale) }
        let diff: CatalogDiff
        do {
            diff = try services.catalog.apply(target, expectedRevision: revision)
        } catch let error as DomainError where error.isCatalogChanged {
            return try catalogPreview(text, viewer: viewer, status: 409, notice: stale)
        } catch let error as CatalogError {
            return catalogProblems(text, error, viewer: viewer)
        }
        return page("catalog-preview", title: "Catalog applied", viewer: viewer, nav: "catalog", data: [
            "applied": .bool(true), "revision": .integer(Int(try services.catalog.revision())), "changes": Self.changes(diff),
        ])
    }

    func catalogPreview(_ text: String, viewer: Viewer, status: Int = 200, notice: String? = nil) throws -> HTTPResponse {
        let target: Catalog
        do {
            target = try Self.parseCatalog(text)
        } catch let error as CatalogError {
            return catalogProblems(text, error, viewer: viewer)
        }
        // Read the revision before the diff: an apply in between makes the Apply below stale, never wrong.
        let revision = try services.catalog.revision()
        let diff: CatalogDiff
        do {
            diff = try services.catalog.apply(target, dryRun: true)
        } catch let error as CatalogError {
            // A rule that depends on the stored catalog (a feature removed that a kept plan uses).
            return catalogProblems(text, error, viewer: viewer)
        }
        return page("catalog-preview", title: "Catalog preview", viewer: viewer, status: status, nav: "catalog", data: [
            "notice": Self.optional(notice), "catalog": .string(text), "revision": .integer(Int(revision)),
            "changes": Self.changes(diff), "count": .integer(diff.changes.count),
        ])
    }

    func catalogProblems(_ text: String, _ error: CatalogError, viewer: Viewer) -> HTTPResponse {
        page("catalog-preview", title: "Catalog preview", viewer: viewer, status: 400, nav: "catalog", data: [
            "catalog": .string(text),
            "problems": .array(error.problems.map { ["place": .string($0.place), "message": .string($0.message)] }),
        ])
    }

    static func parseCatalog(_ text: String) throws -> Catalog {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw CatalogError([.init(place: "catalog", message: "paste a catalog file (JSON, as docs/catalog.md describes)")])
        }
        return try Catalog.parse(Data(text.utf8))
    }

    /// The diff's changes, each with its sign and detail lines (``CatalogDiff/Change``'s own words).
    static func changes(_ diff: CatalogDiff) -> MustacheValue {
        .array(diff.changes.map { change in
            [
                "action": .string(change.action.rawValue), "subject": .string(change.subject),
                "details": .array(change.details.map { .string($0) }), "hasDetails": .bool(!change.details.isEmpty),
            ]
        })
    }

    func retryMail(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        let id = try request.pathParameter("id")
        try services.outbox.retry(id: id)
        return ConsoleHTTP.redirect("/admin/outbox/" + PercentEncoding.encode(id))
    }

    /// API keys, oldest first, never their secrets; revoke (admin, as `DELETE /v1/keys/{id}`). Keys are
    /// created with the CLI, where the secret is shown once (as the API decided).
    /// The keys, newest first; `created` is a key just made, with its secret (shown in this one
    /// answer, never again: the store keeps only its hash, and the answer is not cached).
    func keys(_ request: HTTPRequest, viewer: Viewer, created: (key: APIKey, token: APIKeyToken)? = nil) throws -> HTTPResponse {
        let page = try services.apiKeys.list(page: try Self.pageRequest(request))
        return self.page("keys", title: "API keys", viewer: viewer, nav: "keys", data: [
            "created": created.map { created in
                ["id": .string(created.key.id), "name": .string(created.key.name), "scope": .string(created.key.scope.rawValue),
                 "secret": .string(created.token.value)]
            } ?? .null,
            "scopes": .array(APIKeyScope.allCases.map { .string($0.rawValue) }),
            "keys": .array(page.items.map { key in
                [
                    "id": .string(key.id), "name": .string(key.name), "scope": .string(key.scope.rawValue),
                    "createdAt": .string(Self.time(key.createdAt)), "lastUsedAt": Self.optional(key.lastUsedAt.map(Self.time)),
                    "revokedAt": Self.optional(key.revokedAt.map(Self.time)), "active": .bool(!key.isRevoked), "yours": .bool(key.id == viewer.key.id),
                    "revokeHref": .string("/admin/keys/" + PercentEncoding.encode(key.id) + "/revoke"),
                ]
            }),
            "next": Self.nextLink(page, last: page.items.last?.id, path: "/admin/keys", status: nil),
        ])
    }

    /// Creates a key from the form's `name` and `scope` and shows its secret once, as
    /// `tollgate keys create` does.
    func createKey(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        let form = ConsoleHTTP.form(request)
        guard let scope = APIKeyScope(rawValue: form["scope"] ?? "") else {
            throw DomainError.invalid("scope", "must be one of \(APIKeyScope.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let created = try services.apiKeys.create(name: form["name"] ?? "", scope: scope)
        return try keys(request, viewer: viewer, created: created)
    }

    func revokeKey(_ request: HTTPRequest, viewer: Viewer) throws -> HTTPResponse {
        _ = try services.apiKeys.revoke(id: try request.pathParameter("id"))
        return ConsoleHTTP.redirect("/admin/keys")
    }

    // MARK: Lists

    static func pageRequest(_ request: HTTPRequest) throws -> PageRequest {
        try PageRequest(limit: pageSize, startingAfter: request.queryValue("starting_after").flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The `status` filter; an unknown one is a 400 naming the parameter.
    static func status<Status: RawRepresentable & CaseIterable>(_: Status.Type, _ request: HTTPRequest) throws -> Status? where Status.RawValue == String {
        guard let text = request.queryValue("status"), !text.isEmpty else { return nil }
        guard let status = Status(rawValue: text) else {
            throw DomainError.invalid("status", "must be one of \(Status.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return status
    }

    static func filters(_ statuses: [String], selected: String?, path: String) -> MustacheValue {
        .array([["label": "all", "href": .string(path), "selected": .bool(selected == nil)]] + statuses.map { status in
            ["label": .string(status), "href": .string(path + "?status=" + status), "selected": .bool(selected == status)]
        })
    }

    static func nextLink<Item>(_ page: Page<Item>, last: String?, path: String, status: String?) -> MustacheValue {
        guard page.hasMore, let last else { return .null }
        var link = path + "?starting_after=" + PercentEncoding.encode(last)
        if let status { link += "&status=" + status }
        return .string(link)
    }

    /// Stored JSON indented for reading; the text as it is when it is not JSON.
    static func pretty(_ json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed]),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return json }
        return String(decoding: data, as: UTF8.self)
    }
}
