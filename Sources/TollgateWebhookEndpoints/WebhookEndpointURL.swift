import Foundation
package import TollgateEntitlements

/// The one rule for an endpoint's URL: an absolute `http` or `https` URL whose host is a name or
/// an IPv4 address, with an optional port, path and query of unreserved or percent-encoded
/// characters; no user or password (they would be stored and shown), no fragment, at most 2,048
/// characters. ``pattern`` states it for the OpenAPI document too.
package enum WebhookEndpointURL {
    package static let maximumLength = 2048
    /// The rule as a regular expression (the OpenAPI schema's `pattern`).
    package static let pattern = "^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/%+-]*)?(\\?[A-Za-z0-9._~%&=+-]*)?$"
    private static let expression = try? NSRegularExpression(pattern: pattern)

    /// `text`, or a 400 naming `field`.
    package static func validate(_ url: String, field: String = "url") throws(DomainError) -> String {
        guard url.unicodeScalars.count <= maximumLength else { throw .invalid(field, "must be at most \(maximumLength) characters") }
        let lowered = url.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else {
            throw .invalid(field, "only absolute http and https URLs are accepted")
        }
        guard let expression, expression.firstMatch(in: url, range: NSRange(url.startIndex..., in: url)) != nil,
            let components = URLComponents(string: url), let host = components.host, !host.isEmpty, components.port.map({ $0 <= 65_535 }) ?? true
        else {
            throw .invalid(field, "must be an http(s) URL with a host name or IPv4 address, an optional port, path and query, "
                + "no user, password or fragment")
        }
        return url
    }
}
