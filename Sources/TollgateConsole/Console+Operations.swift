import Foundation
import TollgateBase
import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer
import TollgateMail
import TollgateOutbox

/// The admin pages: stored Stripe events (list by status, one with its payload, replay), the
/// outbox (mail by status, one with its data, retry) and API keys (list, revoke). Admin scope, as in the API.
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
        ])
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
