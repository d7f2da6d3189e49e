/// Base64 (RFC 4648): standard and URL-safe alphabets. The project's one implementation: key
/// material and sealed tokens here, PKCE challenges (RFC 7636 §4.2) in TollgateOAuth.
package enum Base64 {
    private static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlSafe = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Standard alphabet with `=` padding (§4).
    package static func encode(_ bytes: [UInt8]) -> String { encode(bytes, alphabet: standard, padding: true) }

    /// URL-safe alphabet without padding (§5).
    package static func encodeURLSafeNoPadding(_ bytes: [UInt8]) -> String { encode(bytes, alphabet: urlSafe, padding: false) }

    private static func encode(_ bytes: [UInt8], alphabet: [UInt8], padding: Bool) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let b0 = UInt32(bytes[index])
            let b1 = remaining > 1 ? UInt32(bytes[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(bytes[index + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(group >> 18 & 63)])
            out.append(alphabet[Int(group >> 12 & 63)])
            if remaining > 1 { out.append(alphabet[Int(group >> 6 & 63)]) } else if padding { out.append(UInt8(ascii: "=")) }
            if remaining > 2 { out.append(alphabet[Int(group & 63)]) } else if padding { out.append(UInt8(ascii: "=")) }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes either alphabet (not mixed), padded or not. Nil for any other character, misplaced
    /// or wrong padding, an impossible length, or non-zero unused bits (one text, one encoding).
    package static func decode(_ text: String, urlSafeOnly: Bool = false, allowPadding: Bool = true) -> [UInt8]? {
        var chars = Array(text.utf8)
        var padded = 0
        while chars.last == UInt8(ascii: "=") {
            chars.removeLast()
            padded += 1
        }
        if padded > 0 {
            guard allowPadding, padded <= 2, (chars.count + padded) % 4 == 0 else { return nil }
        }
        guard chars.count % 4 != 1 else { return nil }
        var sawStandard = false
        var sawURLSafe = false
        var values = [UInt8]()
        values.reserveCapacity(chars.count)
        for c in chars {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(c - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(c - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"): sawStandard = true; values.append(62)
            case UInt8(ascii: "/"): sawStandard = true; values.append(63)
            case UInt8(ascii: "-"): sawURLSafe = true; values.append(62)
            case UInt8(ascii: "_"): sawURLSafe = true; values.append(63)
            default: return nil
            }
        }
        if sawStandard && (sawURLSafe || urlSafeOnly) { return nil }
        var out = [UInt8]()
        out.reserveCapacity(values.count * 3 / 4)
        var index = 0
        while index < values.count {
            let remaining = min(4, values.count - index)
            var group: UInt32 = 0
            for offset in 0..<4 { group = group << 6 | (offset < remaining ? UInt32(values[index + offset]) : 0) }
            out.append(UInt8(group >> 16 & 0xff))
            if remaining > 2 { out.append(UInt8(group >> 8 & 0xff)) }
            if remaining > 3 { out.append(UInt8(group & 0xff)) }
            // Canonical form only: the bits a short final group does not use must be zero.
            if remaining == 2, group & 0xffff != 0 { return nil }
            if remaining == 3, group & 0xff != 0 { return nil }
            index += 4
        }
        return out
    }
}
