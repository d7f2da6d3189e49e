import Foundation

/// An address with an optional display name, as in `Tollgate <billing@example.com>`.
package struct MailAddress: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The bare address (`local@domain`), used for the SMTP envelope.
    package var address: String
    /// The display name; non-ASCII names are RFC 2047-encoded in headers.
    package var name: String?

    package init(_ address: String, name: String? = nil) {
        self.address = address
        self.name = name
    }

    /// The part after the last `@` (empty when there is none).
    package var domain: String {
        guard let at = address.lastIndex(of: "@") else { return "" }
        return String(address[address.index(after: at)...])
    }

    /// `true` for `local@domain` with no whitespace, angle brackets, line breaks or control characters.
    package var isValid: Bool {
        guard let at = address.lastIndex(of: "@"), at != address.startIndex, !domain.isEmpty else { return false }
        return !address.unicodeScalars.contains { $0.value < 0x21 || $0.value == 0x7F || $0 == "<" || $0 == ">" || $0 == "," }
    }

    package var description: String { name.map { "\($0) <\(address)>" } ?? address }
}

/// One mail to one recipient: what the outbox hands to a ``MailTransport``.
///
/// Build it from a rendered template with ``init(_:from:to:dedupeKey:replyTo:headers:)``.
/// ``mime(date:)`` renders it as an RFC 5322 message (see `OutgoingMail+MIME.swift`).
package struct OutgoingMail: Sendable, Equatable {
    package var from: MailAddress
    /// The one recipient.
    package var to: MailAddress
    package var replyTo: MailAddress?
    package var subject: String
    package var text: String
    package var html: String
    /// Extra header fields (`List-Unsubscribe`, …), in order. Names and values must not contain
    /// line breaks; `From`, `To`, `Subject`, `Message-ID`, `Date` and `MIME-Version` are set by
    /// the renderer and refused here.
    package var headers: [(name: String, value: String)]
    /// The outbox's unique key for this mail (one change never queues two mails). It makes the
    /// `Message-ID` stable across retries and is sent to providers without idempotency keys as
    /// the `X-Tollgate-Dedupe` header.
    package var dedupeKey: String

    package init(
        from: MailAddress, to: MailAddress, subject: String, text: String, html: String, dedupeKey: String,
        replyTo: MailAddress? = nil, headers: [(name: String, value: String)] = []
    ) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.dedupeKey = dedupeKey
        self.headers = headers
    }

    /// A mail from a rendered template.
    package init(
        _ rendered: RenderedMail, from: MailAddress, to: MailAddress, dedupeKey: String,
        replyTo: MailAddress? = nil, headers: [(name: String, value: String)] = []
    ) {
        self.init(from: from, to: to, subject: rendered.subject, text: rendered.text, html: rendered.html,
                  dedupeKey: dedupeKey, replyTo: replyTo, headers: headers)
    }

    /// The `Message-ID` (with angle brackets), derived from ``dedupeKey`` and the sender's domain,
    /// so a retried mail keeps its id: `<tollgate.KEY@domain>`, with characters outside RFC 5322
    /// `atext` written as `=XX`.
    package var messageID: String {
        var local = "tollgate."
        for byte in dedupeKey.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "!#$%&'*+-/?^_`{|}~.".unicodeScalars.contains(scalar), byte != UInt8(ascii: "=") {
                local.unicodeScalars.append(scalar)
            } else {
                local += "=" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        let domain = from.domain.isEmpty ? "tollgate.invalid" : from.domain
        return "<\(local)@\(domain)>"
    }

    package static func == (lhs: OutgoingMail, rhs: OutgoingMail) -> Bool {
        lhs.from == rhs.from && lhs.to == rhs.to && lhs.replyTo == rhs.replyTo && lhs.subject == rhs.subject
            && lhs.text == rhs.text && lhs.html == rhs.html && lhs.dedupeKey == rhs.dedupeKey
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    /// Throws ``MailError/Code/invalidMessage`` for a bad address or header.
    func validate() throws(MailError) {
        for (role, address) in [("from", from), ("to", to)] + (replyTo.map { [("reply-to", $0)] } ?? []) where !address.isValid {
            throw MailError(code: .invalidMessage, message: "the \(role) address \"\(address.address.prefix(80))\" is not a valid address")
        }
        let reserved: Set<String> = ["from", "to", "subject", "message-id", "date", "mime-version", "content-type", "content-transfer-encoding", "reply-to"]
        for header in headers {
            let name = header.name.lowercased()
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ":") }) else {
                throw MailError(code: .invalidMessage, message: "header name \"\(header.name.prefix(40))\" is not a valid field name")
            }
            guard !reserved.contains(name) else {
                throw MailError(code: .invalidMessage, message: "header \(header.name) is set by the renderer and cannot be given")
            }
            guard !header.value.utf8.contains(where: { $0 == 10 || $0 == 13 || $0 == 0 }) else {
                throw MailError(code: .invalidMessage, message: "header \(header.name) has a line break in its value")
            }
        }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
