import TollgateBase

/// `application/x-www-form-urlencoded` (WHATWG URL §5, as RFC 6749 appendix B uses it): every
/// byte but the RFC 3986 unreserved characters is percent-encoded; a space is `%20` (never `+`
/// when encoding; both are read as a space when decoding).
package enum FormURLEncoding {
    /// `name=value&…` in the order given.
    package static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    /// `url` with `pairs` appended to its query (after any query it already has), keeping its
    /// fragment last.
    package static func appendingQuery(_ pairs: [(String, String)], to url: String) -> String {
        var base = url
        var fragment = ""
        if let hash = base.firstIndex(of: "#") {
            fragment = String(base[hash...])
            base = String(base[..<hash])
        }
        let separator = !base.contains("?") ? "?" : (base.hasSuffix("?") || base.hasSuffix("&") ? "" : "&")
        return base + separator + encode(pairs) + fragment
    }

    /// Percent-encodes every byte outside `A–Z a–z 0–9 - . _ ~`.
    package static func percentEncode(_ text: String) -> String {
        PercentEncoding.encode(text, keeping: .unreserved)
    }

    /// The pairs of a form body or a query string, decoded; malformed escapes are kept as text.
    package static func decode(_ text: String) -> [(String, String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (percentDecode(parts[0]), parts.count > 1 ? percentDecode(parts[1]) : "")
        }
    }

    static func percentDecode(_ text: Substring) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        func value(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - 48
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - 87
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - 55
            default: nil
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.count, let high = value(bytes[index + 1]), let low = value(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
