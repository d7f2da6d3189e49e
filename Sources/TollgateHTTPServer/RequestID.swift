import Synchronization

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
        return hex(generator.next(), generator.next())
    }

    /// Two words as 32 lowercase hex digits.
    static func hex(_ high: UInt64, _ low: UInt64) -> String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            for (offset, word) in [(0, high), (16, low)] {
                var word = word
                for index in (0..<16).reversed() {
                    let nibble = UInt8(truncatingIfNeeded: word & 0xF)
                    buffer[offset + index] = nibble < 10 ? nibble + 48 : nibble + 87
                    word >>= 4
                }
            }
            return 32
        }
    }
}

/// Generates request ids without a system call per request: 64 random bits chosen once per
/// server, then a SplitMix64 mix of a counter and a second random key. Within one server every id
/// is distinct (the mix is a bijection of the counter); across servers the random halves make a
/// collision negligible. Ids are correlation handles, not secrets.
final class RequestIDGenerator: Sendable {
    private let prefix: UInt64
    private let key: UInt64
    private let counter = Atomic<UInt64>(0)

    init() {
        var random = SystemRandomNumberGenerator()
        prefix = random.next()
        key = random.next()
    }

    func next() -> String {
        let count = counter.wrappingAdd(1, ordering: .relaxed).newValue
        var z = count &+ key &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return RequestID.hex(prefix, z ^ (z >> 31))
    }

    /// The id for a request whose `X-Request-Id` header is `clientValue`.
    func resolve(_ clientValue: String?) -> String {
        if let clientValue, RequestID.isValid(clientValue) { return clientValue }
        return next()
    }
}
