import TollgateBase

/// The `X-Request-Id` rules: a client's id is echoed when it matches `^[A-Za-z0-9._:-]{1,128}$`,
/// otherwise the server generates one (32 lowercase hex digits).
package enum RequestID {
    /// The header that carries the id, in requests and responses.
    package static let headerName = "X-Request-Id"

    /// Whether `value` is an id the server echoes: 1…128 characters from `A-Z a-z 0-9 . _ : -`.
    package static func isValid(_ value: String) -> Bool {
        let bytes = value.utf8
        guard !bytes.isEmpty, bytes.count <= 128 else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: ":"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }

    /// The id for a request whose `X-Request-Id` header is `clientValue`.
    package static func resolve(_ clientValue: String?) -> String {
        if let clientValue, isValid(clientValue) { return clientValue }
        return generate()
    }

    /// A new random id: 16 bytes from the system's CSPRNG as 32 lowercase hex digits.
    package static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.words(generator.next(), generator.next())
    }
}

/// Generates request ids without a system call per request: the generator's random prefix and a
/// word it never returned before (``IdentifierGenerator``), as 32 lowercase hex digits.
final class RequestIDGenerator: Sendable {
    private let words = IdentifierGenerator()

    func next() -> String {
        Hex.words(words.prefix, words.nextWord())
    }

    /// The id for a request whose `X-Request-Id` header is `clientValue`.
    func resolve(_ clientValue: String?) -> String {
        if let clientValue, RequestID.isValid(clientValue) { return clientValue }
        return next()
    }
}
