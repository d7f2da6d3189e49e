import Foundation
import TollgateCrypto
import TollgateHTTPServer

/// The console's HTTP rules, in one place: the headers every answer carries, the cookies, the form
/// bodies and the CSRF comparison.
enum ConsoleHTTP {
    static let sessionCookie = "tollgate_console"
    /// The sign-in form's own token (double submit: the form and this cookie must agree), so a
    /// foreign page cannot sign a browser in with someone else's key.
    static let signInCookie = "tollgate_console_sign_in"
    static let cookiePath = "/admin"

    /// Every console response carries these: no script, styles only from the console itself, forms
    /// only to itself, frames only from itself (the mail preview's sandboxed iframe), never framed,
    /// no referrer, never cached.
    static let securityHeaders: [(String, String)] = [
        ("Content-Security-Policy",
         "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Content-Type-Options", "nosniff"),
        ("Cache-Control", "no-store"),
    ]

    static func secured(_ response: HTTPResponse) -> HTTPResponse {
        var response = response
        let framed = response.headers["Content-Security-Policy"] == framedMailPolicy
        for (name, value) in framed ? framedMailHeaders : securityHeaders { response.headers.set(name, value) }
        return response
    }

    /// The rendered HTML of a mail (``framedMail(_:)``): no script, no fetch, no form, its inline
    /// styles only (mail templates use them), sandboxed, and framed by the console's own pages only.
    static let framedMailPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'self'; base-uri 'none'; sandbox"
    static let framedMailHeaders: [(String, String)] = [
        ("Content-Security-Policy", framedMailPolicy),
        ("X-Frame-Options", "SAMEORIGIN"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Content-Type-Options", "nosniff"),
        ("Cache-Control", "no-store"),
    ]

    /// A mail's rendered HTML as the mail preview's iframe loads it, with ``framedMailHeaders``
    /// (``secured(_:)`` keeps them for this answer only).
    static func framedMail(_ html: String) -> HTTPResponse {
        var response = Self.html(html)
        response.headers.set("Content-Security-Policy", framedMailPolicy)
        return response
    }

    static func html(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/html; charset=utf-8"], body: Array(text.utf8))
    }

    /// 303 See Other: after a form, and to the sign-in page.
    static func redirect(_ location: String) -> HTTPResponse {
        HTTPResponse(status: 303, headers: ["Location": location, "Content-Type": "text/plain; charset=utf-8"], body: Array("See \(location)\n".utf8))
    }

    /// True when the browser reached Tollgate over TLS: Tollgate serves plain HTTP, so only a proxy in
    /// front of it that terminates TLS and says so in `X-Forwarded-Proto: https` makes it true. A
    /// client that sends the header itself only marks its own cookie `Secure` (docs/console.md).
    static func cameOverTLS(_ request: HTTPRequest) -> Bool {
        request.headers["X-Forwarded-Proto"]?.split(separator: ",").first?.trimmingCharacters(in: .whitespaces).lowercased() == "https"
    }

    /// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/admin, Secure over TLS; `maxAge` 0 deletes it.
    static func cookie(_ name: String, _ value: String, maxAge: Int, request: HTTPRequest) -> String {
        var text = "\(name)=\(value); Path=\(cookiePath); Max-Age=\(maxAge); HttpOnly; SameSite=Strict"
        if cameOverTLS(request) { text += "; Secure" }
        return text
    }

    /// The value of cookie `name` in the request's `Cookie` headers.
    static func cookie(_ name: String, in request: HTTPRequest) -> String? {
        for header in request.headers.values("Cookie") {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name else { continue }
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// The fields of an `application/x-www-form-urlencoded` body (what an HTML form posts); a
    /// repeated field keeps its first value.
    static func form(_ request: HTTPRequest) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: request.body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String? { text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = parts.first.flatMap(decode), !name.isEmpty else { continue }
            let value = parts.count > 1 ? decode(parts[1]) ?? "" : ""
            if fields[name] == nil { fields[name] = value }
        }
        return fields
    }

    /// Whether the posted token is the expected one, compared in constant time; a missing one never matches.
    static func tokenMatches(_ presented: String?, _ expected: String) -> Bool {
        guard let presented, !expected.isEmpty else { return false }
        return ConstantTime.equals(SHA256.digest(presented), SHA256.digest(expected))
    }
}
