/// Percent-encoding (RFC 3986 §2.1) with an explicit set of bytes kept as they are; every other
/// byte of the UTF-8 text becomes `%XX` (upper-case hex).
package enum PercentEncoding {
    /// The bytes a caller keeps unencoded.
    package struct SafeSet: Sendable {
        let keeps: @Sendable (UInt8) -> Bool
        /// A space becomes `+` (HTML forms, Stripe's form bodies) instead of `%20`.
        let spaceAsPlus: Bool

        package init(spaceAsPlus: Bool = false, keeps: @escaping @Sendable (UInt8) -> Bool) {
            self.keeps = keeps
            self.spaceAsPlus = spaceAsPlus
        }

        /// RFC 3986 unreserved characters `A–Z a–z 0–9 - . _ ~`: what is safe in a path segment, a
        /// query value or an OAuth form (RFC 6749 appendix B).
        package static let unreserved = SafeSet(keeps: isUnreserved)

        /// One path segment made of input (an id): unreserved except `.`, so that an id `.` or `..`
        /// is never taken for a dot segment and normalised away, and no `/`, `?` or `#` can add a
        /// segment or a query.
        package static let pathSegment = SafeSet { isUnreserved($0) && $0 != UInt8(ascii: ".") }

        /// Stripe's form encoding (stripe-python's `quote_plus(text, safe="")`, then `[` and `]`
        /// kept, so `items[0][price]` reads as Stripe documents it): unreserved, `[`, `]`, and `+`
        /// for a space.
        package static let stripeForm = SafeSet(spaceAsPlus: true) { isUnreserved($0) || $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]") }

        package static func isUnreserved(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                true
            default:
                false
            }
        }
    }

    package static func encode(_ text: String, keeping safe: SafeSet = .unreserved) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if safe.keeps(byte) {
                out.append(byte)
            } else if byte == UInt8(ascii: " "), safe.spaceAsPlus {
                out.append(UInt8(ascii: "+"))
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
