import Foundation
import Tollgate
package import TollgateCore
import TollgateEntitlements
package import TollgateHTTPServer
package import TollgateLogging
import TollgateBase
import TollgateMail
import TollgateOutbox

/// The admin console (issue 19, docs/console.md): server-rendered pages under `/admin`, signed in
/// with an API key, registered on the API server's router.
package enum AdminConsole {
    /// Maps what a handler throws to the status and message the API would answer (the API's one
    /// mapping, `APIErrors`, passed in by the API server).
    package typealias FailureMapping = @Sendable (any Error, Logger) -> HTTPError

    /// Registers every console route on `router`. The templates are read and parsed here, once; when
    /// they cannot be, the console's routes answer 503 and the error is logged (the API serves on).
    package static func register(on router: Router, services: Services, logger: Logger, failure: @escaping FailureMapping) {
        let templates: ConsoleTemplates?
        do {
            templates = try ConsoleTemplates.load(directory: try ConsoleDirectory.locate())
        } catch {
            logger.error("the admin console is off: its templates could not be read", ["error": String(describing: error)])
            templates = nil
        }
        // The mail templates the outbox worker sends with, for the outbox's previews; when they cannot
        // be read the previews say why (the rest of the console works).
        let mail: Result<MailRenderer, ConfigurationError> = Result { () throws(ConfigurationError) in
            MailRenderer(templates: try services.configuration.mailTemplates(), settings: services.configuration.mail)
        }
        let console = templates.map { Console(templates: $0, services: services, mail: mail, failure: failure) }
        for route in Console.routes {
            router.register(route.method, route.path) { request in
                guard let console else {
                    return ConsoleHTTP.secured(.text("the admin console's templates are missing; see the server log\n", status: 503))
                }
                return console.handle(request, route: route)
            }
        }
        // A path under /admin that no route has, or a method none of its routes takes: the console's
        // error page with its headers, not the API's JSON (rendered from memory: no store, no session).
        router.registerFallback(prefix: Console.prefix) { miss in
            guard let console else {
                return ConsoleHTTP.secured(.text("the admin console's templates are missing; see the server log\n", status: 503))
            }
            return console.missing(miss)
        }
    }
}

/// What a route needs before its handler runs.
enum ConsoleAccess: Sendable {
    /// Anyone: the stylesheet, the sign-in page.
    case open
    /// A signed-in session whose key has at least this scope; a POST also carries the session's CSRF token.
    case session(APIKeyScope)
}

struct ConsoleRoute: Sendable {
    var method: HTTPMethod
    var path: String
    var access: ConsoleAccess
    var handler: @Sendable (Console, HTTPRequest, Viewer?) throws -> HTTPResponse
}

/// Who is looking: the session and the key it was signed in with (read again on every request).
struct Viewer: Sendable {
    var sessionID: String
    var session: ConsoleSession
    var key: APIKey

    var canWrite: Bool { key.scope.allows(.write) }
    var canAdmin: Bool { key.scope.allows(.admin) }
}

final class Console: Sendable {
    let templates: ConsoleTemplates
    let services: Services
    let sessions: ConsoleSessionStore
    let queries: ConsoleQueries
    let failure: AdminConsole.FailureMapping
    /// What the outbox worker renders mail with (for the previews), or why it cannot.
    let mail: Result<MailRenderer, ConfigurationError>
    /// Failed sign-ins, counted in the service's rate-limit backend under one key for the whole
    /// service (Tollgate does not see the client's address behind a proxy): 10 a minute, 10 at once.
    let signInLimit = GCRA(RateLimitPolicy(name: "console_sign_in", limit: 10, windowSeconds: 60, burst: 10))
    static let signInLimitKey = "console:sign_in_failures"

    init(templates: ConsoleTemplates, services: Services, mail: Result<MailRenderer, ConfigurationError>, failure: @escaping AdminConsole.FailureMapping) {
        self.templates = templates
        self.mail = mail
        self.services = services
        self.failure = failure
        sessions = ConsoleSessionStore(database: services.database)
        queries = ConsoleQueries(database: services.database)
    }

    /// Where the console's routes live; the 404s and 405s under it are the console's too.
    static let prefix = "/admin"

    static let routes: [ConsoleRoute] = [
        ConsoleRoute(method: .GET, path: "/admin/console.css", access: .open) { console, _, _ in
            HTTPResponse(status: 200, headers: ["Content-Type": "text/css; charset=utf-8"], body: console.templates.stylesheet)
        },
        ConsoleRoute(method: .GET, path: "/admin/sign-in", access: .open) { console, request, _ in try console.signInPage(request) },
        ConsoleRoute(method: .POST, path: "/admin/sign-in", access: .open) { console, request, _ in try console.signIn(request) },
        ConsoleRoute(method: .POST, path: "/admin/sign-out", access: .session(.read)) { console, request, viewer in
            try console.signOut(request, viewer: viewer)
        },
        ConsoleRoute(method: .GET, path: "/admin", access: .session(.read)) { console, request, viewer in
            try console.overview(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .GET, path: "/admin/customers", access: .session(.read)) { console, request, viewer in
            try console.customers(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .GET, path: "/admin/customers/{external_id}", access: .session(.read)) { console, request, viewer in
            try console.customer(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .POST, path: "/admin/customers/{external_id}/grants", access: .session(.write)) { console, request, viewer in
            try console.createGrant(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .POST, path: "/admin/customers/{external_id}/grants/{grant_id}/revoke", access: .session(.write)) { console, request, viewer in
            try console.revokeGrant(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .GET, path: "/admin/catalog", access: .session(.read)) { console, request, viewer in
            try console.catalog(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .GET, path: "/admin/keys", access: .session(.admin)) { console, request, viewer in
            try console.keys(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .POST, path: "/admin/keys", access: .session(.admin)) { console, request, viewer in
            try console.createKey(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .POST, path: "/admin/keys/{id}/revoke", access: .session(.admin)) { console, request, viewer in
            try console.revokeKey(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .GET, path: "/admin/webhooks", access: .session(.admin)) { console, request, viewer in
            try console.webhooks(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .GET, path: "/admin/webhooks/{id}", access: .session(.admin)) { console, request, viewer in
            try console.webhook(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .POST, path: "/admin/webhooks/{id}/replay", access: .session(.admin)) { console, request, viewer in
            try console.replayWebhook(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .GET, path: "/admin/outbox", access: .session(.admin)) { console, request, viewer in
            try console.outbox(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .GET, path: "/admin/outbox/{id}", access: .session(.admin)) { console, request, viewer in
            try console.mail(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .POST, path: "/admin/outbox/{id}/retry", access: .session(.admin)) { console, request, viewer in
            try console.retryMail(request, viewer: try Console.required(viewer))
        },
        // Catalog preview and apply (admin, like `tollgate plans apply`); the mail previews; purging dead mail.
        ConsoleRoute(method: .POST, path: "/admin/catalog/preview", access: .session(.admin)) { console, request, viewer in
            try console.previewCatalog(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .POST, path: "/admin/catalog/apply", access: .session(.admin)) { console, request, viewer in
            try console.applyCatalog(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .GET, path: "/admin/outbox/{id}/html", access: .session(.admin)) { console, request, viewer in
            try console.mailHTML(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .GET, path: "/admin/outbox/purge", access: .session(.admin)) { console, request, viewer in
            try console.confirmPurge(request, viewer: try Console.required(viewer))
        },
        ConsoleRoute(method: .POST, path: "/admin/outbox/purge", access: .session(.admin)) { console, request, viewer in
            try console.purgeDead(request, viewer: try Console.required(viewer))
        },
    ]

    static func required(_ viewer: Viewer?) throws -> Viewer {
        guard let viewer else { throw HTTPError.unauthorized("sign in first") }
        return viewer
    }

    /// Runs `route`: the session, scope and CSRF rules first, then the handler; every answer gets
    /// the console's security headers and every failure an HTML page.
    func handle(_ request: HTTPRequest, route: ConsoleRoute) -> HTTPResponse {
        var viewer: Viewer?
        do {
            // No store keeps U+0000 (PostgreSQL refuses it): a parameter or form field holding it is a 400, as in the API.
            let holdingNUL = request.parameterHoldingNUL
                ?? (request.method == .POST ? ConsoleHTTP.form(request).first { $0.key.utf8.contains(0) || $0.value.utf8.contains(0) }?.key : nil)
            if let holdingNUL { throw DomainError.invalid(holdingNUL, "must not contain the NUL character (U+0000)") }
            if case .session(let scope) = route.access {
                guard let found = try currentViewer(request) else {
                    // A page sends the browser to sign in; a form posted without a live session changes nothing.
                    if request.method == .POST {
                        return ConsoleHTTP.secured(page("error", title: "Signed out", viewer: nil, status: 401, data: [
                            "status": .integer(401), "message": "Your session has ended or was never started: sign in again.",
                        ]))
                    }
                    return ConsoleHTTP.secured(ConsoleHTTP.redirect("/admin/sign-in"))
                }
                viewer = found
                if request.method == .POST, !ConsoleHTTP.tokenMatches(ConsoleHTTP.form(request)["csrf_token"], found.session.csrfToken) {
                    return ConsoleHTTP.secured(page("error", title: "Refused", viewer: found, status: 403, data: [
                        "status": .integer(403), "message": "This form is missing its security token or carries a wrong one; nothing was changed. Reload the page and try again.",
                    ]))
                }
                guard found.key.scope.allows(scope) else {
                    return ConsoleHTTP.secured(page("error", title: "Not allowed", viewer: found, status: 403, data: [
                        "status": .integer(403), "message": .string("Your API key has scope \(found.key.scope.rawValue); this needs \(scope.rawValue)."),
                    ]))
                }
            }
            return ConsoleHTTP.secured(try route.handler(self, request, viewer))
        } catch {
            let answer = failure(error, request.logger)
            return ConsoleHTTP.secured(page("error", title: "Error", viewer: viewer, status: answer.status, data: [
                "status": .integer(answer.status), "message": .string(answer.message),
            ]))
        }
    }

    /// The answer to a path under /admin no route has (404) or a method its routes do not take
    /// (405): the error page, without the session (this runs on the I/O thread and reads no store).
    func missing(_ miss: RouteMiss) -> HTTPResponse {
        let message = miss.status == 404
            ? "There is no console page at \(miss.path)."
            : "\(miss.path) does not take \(miss.method); it takes \(miss.allowed.map(\.rawValue).joined(separator: ", "))."
        return ConsoleHTTP.secured(page("error", title: miss.status == 404 ? "Not found" : "Method not allowed", viewer: nil, status: miss.status, data: [
            "status": .integer(miss.status), "message": .string(message),
        ]))
    }

    /// The session the cookie names, when it is live and its key is not revoked; a session whose key
    /// was revoked is deleted on the spot.
    func currentViewer(_ request: HTTPRequest) throws -> Viewer? {
        guard let id = ConsoleHTTP.cookie(ConsoleHTTP.sessionCookie, in: request), let session = try sessions.find(id: id) else { return nil }
        guard let key = try services.apiKeys.find(id: session.apiKeyID), !key.isRevoked else {
            try sessions.delete(id: id)
            return nil
        }
        return Viewer(sessionID: id, session: session, key: key)
    }

    /// `name` rendered in the layout; a template failure is a plain 500 (never a page that half rendered).
    func page(_ name: String, title: String, viewer: Viewer?, status: Int = 200, nav: String? = nil, data: [String: MustacheValue]) -> HTTPResponse {
        var context = data
        context["title"] = .string(title)
        if let viewer {
            context["viewer"] = [
                "name": .string(viewer.key.name), "scope": .string(viewer.key.scope.rawValue), "csrf": .string(viewer.session.csrfToken),
                "canWrite": .bool(viewer.canWrite), "canAdmin": .bool(viewer.canAdmin),
            ]
        }
        if let nav { context["nav"] = .object([nav: .bool(true)]) }
        // `{{#any.grants}}`: whether a list has items, so a table is drawn only around rows.
        var any: [String: MustacheValue] = [:]
        for (name, value) in data { if case .array(let items) = value { any[name] = .bool(!items.isEmpty) } }
        context["any"] = .object(any)
        do {
            return ConsoleHTTP.html(try templates.render(name, data: .object(context)), status: status)
        } catch {
            return .text("the console could not render \(name): \(error)\n", status: 500)
        }
    }
}
