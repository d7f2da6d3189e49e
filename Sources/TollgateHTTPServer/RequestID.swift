/// The `X-Request-Id` rules: a client's id is echoed when it matches `^[A-Za-z0-9._:-]{1,128}$`,
/// otherwise the server generates one (32 lowercase hex digits from the system's CSPRNG).
public enum RequestID {
    /// The header that carries the id, in requests and responses.
    public static let headerName = "X-Request-Id"

    /// Whether `value` is an id the server echoes: 1…128 characters from `A-Z a-z 0-9 . _ : -`.
    public static func isValid(_ value: String) -> Bool {
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
    public static func resolve(_ clientValue: String?) -> String {
        if let clientValue, isValid(clientValue) { return clientValue }
        return generate()
    }

    /// A new random id: 16 bytes as 32 lowercase hex digits.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 32)
        for half in 0..<2 {
            var word = generator.next() as UInt64
            for index in 0..<16 {
                out[half * 16 + index] = digits[Int(word & 0xF)]
                word >>= 4
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
