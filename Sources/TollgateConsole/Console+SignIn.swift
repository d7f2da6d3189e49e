import Foundation
import TollgateBase
import Tollgate
import TollgateCore
import TollgateCrypto
import TollgateEntitlements
import TollgateHTTPServer
import TollgateMail

/// Sign-in with an API key, sign-out.
extension Console {
    func signInPage(_ request: HTTPRequest, status: Int = 200, message: String? = nil) throws -> HTTPResponse {
        if status == 200, try currentViewer(request) != nil { return ConsoleHTTP.redirect("/admin") }
        let token = try SecureRandom.token(ConsoleSessionStore.csrfLength)
        var data: [String: MustacheValue] = ["formToken": .string(token)]
        if let message { data["message"] = .string(message) }
        var response = page("sign-in", title: "Sign in", viewer: nil, status: status, data: data)
        response.headers.add("Set-Cookie", ConsoleHTTP.cookie(ConsoleHTTP.signInCookie, token, maxAge: 3600, request: request))
        return response
    }

    func signIn(_ request: HTTPRequest) throws -> HTTPResponse {
        let form = ConsoleHTTP.form(request)
        guard let expected = ConsoleHTTP.cookie(ConsoleHTTP.signInCookie, in: request),
              ConsoleHTTP.tokenMatches(form["csrf_token"], expected) else {
            return try signInPage(request, status: 403, message: "The sign-in form expired or did not come from this console; try again.")
        }
        let backend = services.rateLimits.backend
        let gate = try backend.peek(key: Self.signInLimitKey, gcra: signInLimit, cost: 1)
        guard gate.allowed else {
            var response = page("error", title: "Too many attempts", viewer: nil, status: 429, data: [
                "status": .integer(429), "message": "Too many failed sign-ins; wait a minute and try again.",
            ])
            if let seconds = gate.retryAfterSeconds { response.headers.set("Retry-After", String(seconds)) }
            return response
        }
        let presented = (form["api_key"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let key = try services.keyVerifier.verify(presented),
              let current = try services.apiKeys.find(id: key.id), !current.isRevoked else {
            _ = try backend.consume(key: Self.signInLimitKey, gcra: signInLimit, cost: 1)
            return try signInPage(request, status: 401, message: "Unknown or revoked API key.")
        }
        // Signing in again (say, with another key) ends the browser's previous session.
        if let previous = ConsoleHTTP.cookie(ConsoleHTTP.sessionCookie, in: request) { try sessions.delete(id: previous) }
        let (id, _) = try sessions.create(apiKeyID: current.id)
        var response = ConsoleHTTP.redirect("/admin")
        response.headers.add("Set-Cookie", ConsoleHTTP.cookie(ConsoleHTTP.sessionCookie, id, maxAge: Int(ConsoleSessionStore.lifetime), request: request))
        response.headers.add("Set-Cookie", ConsoleHTTP.cookie(ConsoleHTTP.signInCookie, "", maxAge: 0, request: request))
        return response
    }

    func signOut(_ request: HTTPRequest, viewer: Viewer?) throws -> HTTPResponse {
        if let viewer { try sessions.delete(id: viewer.sessionID) }
        var response = ConsoleHTTP.redirect("/admin/sign-in")
        response.headers.add("Set-Cookie", ConsoleHTTP.cookie(ConsoleHTTP.sessionCookie, "", maxAge: 0, request: request))
        return response
    }
}
