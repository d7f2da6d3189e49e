import Foundation

/// Base64 (RFC 4648): standard and URL-safe alphabets, over Foundation's codec. The project's one
/// place for it: key material and sealed tokens here, PKCE challenges (RFC 7636 §4.2) and Basic
/// authentication in TollgateOAuth, Standard Webhooks signatures and secrets.
package enum Base64 {
    /// Standard alphabet with `=` padding (§4).
    package static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// URL-safe alphabet without padding (§5).
    package static func encodeURLSafeNoPadding(_ bytes: [UInt8]) -> String {
        String(encode(bytes).compactMap { character -> Character? in
            switch character {
            case "+": "-"
            case "/": "_"
            case "=": nil
            default: character
            }
        })
    }

    /// Decodes either alphabet (not mixed), padded or not. Nil for any other character, misplaced
    /// or wrong padding, an impossible length, or non-zero unused bits (one text, one encoding:
    /// only the canonical form of each byte string is accepted).
    package static func decode(_ text: String, urlSafeOnly: Bool = false, allowPadding: Bool = true) -> [UInt8]? {
        let standard = text.contains("+") || text.contains("/")
        let urlSafe = text.contains("-") || text.contains("_")
        if standard && (urlSafe || urlSafeOnly) { return nil }
        var body = Substring(text)
        while body.hasSuffix("=") { body.removeLast() }
        let padded = text.count - body.count
        if padded > 0 {
            guard allowPadding, padded <= 2, text.count % 4 == 0 else { return nil }
        }
        guard body.count % 4 != 1, !body.contains("=") else { return nil }
        var normalized = String(body.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        normalized += String(repeating: "=", count: (4 - normalized.count % 4) % 4)
        guard let data = Data(base64Encoded: normalized) else { return nil }
        let bytes = [UInt8](data)
        // Canonical only: re-encoding gives the same text (so a short group's unused bits are zero).
        guard encode(bytes) == normalized else { return nil }
        return bytes
    }
}
