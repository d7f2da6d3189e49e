/// The key of a feature: lowercase and dotted, such as `seats`, `api.requests` or
/// `integrations.github`.
///
/// A valid key is 1–100 characters long and made of segments of `[a-z0-9_]+` joined by `.`
/// (no empty segment, no leading or trailing dot). ``init(validating:)`` and
/// ``init(rawValue:)`` check that form; decoding checks it too.
///
/// A key encodes as a plain JSON string. A dictionary keyed by `FeatureKey` would encode as an
/// array, so the types that hold one (``Plan``, ``EntitlementSnapshot``) encode it by hand as
/// a JSON object keyed by the raw keys.
public struct FeatureKey: RawRepresentable, Hashable, Sendable {
    /// The longest valid key, in characters.
    public static let maximumLength = 100

    /// The key as written.
    public let rawValue: String

    /// A fixed hash of `rawValue` (FNV-1a), computed once: the snapshot's check index looks
    /// keys up by it without hashing the string again. Not used by `Hashable`, which stays
    /// seeded per process.
    let lookupHash: UInt64

    /// Creates a key from `rawValue` if it is valid (see ``isValid(_:)``).
    public init?(rawValue: String) {
        guard Self.isValid(rawValue) else { return nil }
        self.init(unchecked: rawValue)
    }

    /// Creates a key from `string` if it is valid (see ``isValid(_:)``).
    public init?(validating string: String) {
        self.init(rawValue: string)
    }

    /// Creates a key without checking it; for string literals, which the programmer wrote.
    init(unchecked rawValue: String) {
        self.rawValue = rawValue
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in rawValue.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        lookupHash = hash
    }

    /// Keys are equal when their raw strings are (the fixed hash is compared first, cheaply).
    public static func == (lhs: FeatureKey, rhs: FeatureKey) -> Bool {
        lhs.lookupHash == rhs.lookupHash && lhs.rawValue == rhs.rawValue
    }

    /// Hashes the raw string.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(rawValue)
    }

    /// Whether `string` is a valid feature key: 1–100 characters, segments of `[a-z0-9_]+`
    /// joined by `.`.
    public static func isValid(_ string: String) -> Bool {
        var count = 0
        var segmentLength = 0
        for byte in string.utf8 {
            count += 1
            guard count <= maximumLength else { return false }
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                segmentLength += 1
            case UInt8(ascii: "."):
                guard segmentLength > 0 else { return false }
                segmentLength = 0
            default:
                return false
            }
        }
        return segmentLength > 0
    }
}

extension FeatureKey: ExpressibleByStringLiteral {
    /// Creates a key from a literal. Literals are not validated: an invalid literal is a
    /// programming error and simply names no feature of a valid catalog.
    public init(stringLiteral value: String) {
        self.init(unchecked: value)
    }
}

extension FeatureKey: CustomStringConvertible {
    /// The raw key.
    public var description: String { rawValue }
}

extension FeatureKey: Comparable {
    /// Orders keys by their raw string.
    public static func < (lhs: FeatureKey, rhs: FeatureKey) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

extension FeatureKey: Codable {
    /// Decodes a key from a string, rejecting an invalid one.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        guard let key = FeatureKey(validating: string) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "invalid feature key: expected lowercase dotted segments of [a-z0-9_], 1–100 characters"
            )
        }
        self = key
    }

    /// Encodes the key as a plain string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
