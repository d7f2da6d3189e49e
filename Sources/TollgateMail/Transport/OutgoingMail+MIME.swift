package import Foundation

extension OutgoingMail {
    /// The mail as an RFC 5322 / MIME message with CRLF line ends: `multipart/alternative` with a
    /// `text/plain` and a `text/html` part (UTF-8, quoted-printable), an RFC 2047-encoded subject
    /// (and display names) when not plain ASCII, `Message-ID` (``messageID``), `Date` and the extra
    /// ``headers``. Lines are at most 78 characters except for long extra header values.
    ///
    /// - Parameter date: the `Date` header's value (RFC 5322 §3.3, in UTC).
    /// - Throws: ``MailError/Code/invalidMessage`` for a bad address or header.
    package func mime(date: Date = Date(), boundary: String? = nil) throws(MailError) -> String {
        try validate()
        let boundary = boundary ?? "=_tollgate_" + (0..<4).map { _ in String(UInt32.random(in: .min ... .max), radix: 16).leftPadded(to: 8) }.joined()
        var lines: [String] = []
        lines.append("From: " + MIME.addressField(from))
        lines.append("To: " + MIME.addressField(to))
        if let replyTo { lines.append("Reply-To: " + MIME.addressField(replyTo)) }
        lines.append(MIME.subjectField(subject))
        lines.append("Date: " + MIME.rfc5322Date(date))
        lines.append("Message-ID: " + messageID)
        for header in headers { lines.append("\(header.name): \(header.value)") }
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
        lines.append("")
        lines.append("This is a multi-part message in MIME format.")
        for (type, body) in [("text/plain", text), ("text/html", html)] {
            lines.append("--" + boundary)
            lines.append("Content-Type: \(type); charset=utf-8")
            lines.append("Content-Transfer-Encoding: quoted-printable")
            lines.append("")
            lines.append(MIME.quotedPrintable(body))
        }
        lines.append("--\(boundary)--")
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}

/// Encoders for MIME messages (RFC 2045, RFC 2047, RFC 5322).
package enum MIME {
    /// Quoted-printable (RFC 2045 §6.7) of UTF-8 text: any line break becomes CRLF, lines are at
    /// most 76 characters (soft breaks `=`), `=`, non-ASCII and control bytes and trailing
    /// spaces or tabs are encoded as `=XX`, and a line never starts with `.` (SMTP-safe).
    package static func quotedPrintable(_ text: String) -> String {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var out: [String] = []
        for line in normalized.split(separator: "\n", omittingEmptySubsequences: false) {
            let bytes = Array(line.utf8)
            var current = ""
            for (index, byte) in bytes.enumerated() {
                let isLast = index == bytes.count - 1
                let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !isLast)
                var token = literal ? String(UnicodeScalar(byte)) : "=" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
                if current.isEmpty && byte == UInt8(ascii: ".") { token = "=2E" }
                // 75 characters plus the soft break's "=" make 76.
                if current.utf8.count + token.utf8.count > (isLast ? 76 : 75) {
                    out.append(current + "=")
                    current = ""
                    if byte == UInt8(ascii: ".") { token = "=2E" }
                }
                current += token
            }
            out.append(current)
        }
        return out.joined(separator: "\r\n")
    }

    /// `Subject: …`, as is when it is printable ASCII and short, otherwise as RFC 2047 `B`
    /// encoded words of whole characters, folded onto continuation lines. Line breaks in the
    /// subject become spaces.
    static func subjectField(_ subject: String) -> String {
        let flat = subject.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
        if flat.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) && flat.utf8.count <= 69 { return "Subject: " + flat }
        return "Subject: " + encodedWords(flat).joined(separator: "\r\n ")
    }

    /// RFC 2047 encoded words (`=?UTF-8?B?…?=`), each at most 75 characters, never splitting a character.
    package static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        // 75 - "=?UTF-8?B?".count - "?=".count = 63 base64 characters: 45 bytes.
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words
    }

    /// `Name <addr>`, the name quoted or RFC 2047-encoded as needed; just `addr` without a name.
    static func addressField(_ address: MailAddress) -> String {
        guard let name = address.name, !name.isEmpty else { return address.address }
        let flat = name.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if flat.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) {
            let escaped = flat.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\" <\(address.address)>"
        }
        return encodedWords(flat).joined(separator: " ") + " <\(address.address)>"
    }

    /// `Sun, 22 Nov 2026 18:24:09 +0000` (RFC 5322 §3.3), in UTC.
    package static func rfc5322Date(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { String(value).leftPadded(to: 2) }
        return "\(days[Int(parts.tm_wday)]), \(parts.tm_mday) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) +0000"
    }
}
