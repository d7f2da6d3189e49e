/// JSON string escaping (RFC 8259 §7) for hand-built JSON such as log lines and the hot endpoints'
/// bodies: the same bytes `JSONEncoder` writes for a string (with `.withoutEscapingSlashes`).
package enum JSONString {
    package static func append(_ string: String, to out: inout String) {
        out.append("\"")
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{08}": out.append("\\b")
            case "\u{0C}": out.append("\\f")
            case _ where scalar.value < 0x20:
                out.append("\\u")
                let hex = String(scalar.value, radix: 16)
                out.append(String(repeating: "0", count: 4 - hex.count) + hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }

    package static func quoted(_ string: String) -> String {
        var out = ""
        append(string, to: &out)
        return out
    }
}
