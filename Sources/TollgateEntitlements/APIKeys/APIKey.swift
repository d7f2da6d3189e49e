package import Foundation

/// What an API key may do. Scopes nest: `admin` can do everything `write` can, and `write`
/// everything `read` can.
package enum APIKeyScope: String, Sendable, Codable, CaseIterable, Comparable {
    case read, write, admin

    private var rank: Int {
        switch self {
        case .read: 0
        case .write: 1
        case .admin: 2
        }
    }

    package static func < (lhs: APIKeyScope, rhs: APIKeyScope) -> Bool { lhs.rank < rhs.rank }

    /// True when a key with this scope may call an endpoint that requires `required`.
    package func allows(_ required: APIKeyScope) -> Bool { self >= required }
}

/// An API key as stored: never the secret, only its hash (which is never shown either).
package struct APIKey: Sendable, Codable, Equatable {
    package var id: String
    package var name: String
    package var scope: APIKeyScope
    package var createdAt: Date
    package var revokedAt: Date?
    package var lastUsedAt: Date?

    package var isRevoked: Bool { revokedAt != nil }

    package init(id: String, name: String, scope: APIKeyScope, createdAt: Date, revokedAt: Date? = nil, lastUsedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.scope = scope
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.lastUsedAt = lastUsedAt
    }
}

/// The plain key, shown once at creation: `tg_<id>_<secret>`.
///
/// The id is public (it appears in lists and logs) and finds the row; the whole key's SHA-256
/// is compared in constant time against the stored hash.
package struct APIKeyToken: Sendable, Equatable {
    package static let prefix = "tg_"
    static let idLength = 12
    static let secretLength = 40
    private static let prefixBytes = Array(prefix.utf8)

    package let id: String
    package let value: String

    init(id: String, secret: String) {
        self.id = id
        self.value = "\(Self.prefix)\(id)_\(secret)"
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
    }

    /// `tg_`, the id's alphanumerics, `_`, the secret's alphanumerics (the length already checked).
    private static func hasTokenShape<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) -> Bool where Bytes.Index == Int {
        let prefix = prefixBytes
        let separator = bytes.startIndex + prefix.count + idLength
        for offset in 0..<prefix.count where bytes[bytes.startIndex + offset] != prefix[offset] { return false }
        for index in (bytes.startIndex + prefix.count)..<bytes.endIndex {
            guard index == separator ? bytes[index] == UInt8(ascii: "_") : isAlphanumeric(bytes[index]) else { return false }
        }
        return true
    }

    /// Splits a presented key; nil when it does not have the shape of a Tollgate key.
    package init?(parsing value: String) {
        // `tg_` + 12 alphanumerics + `_` + 40 alphanumerics, checked byte by byte (every
        // authenticated request parses its key).
        let bytes = value.utf8
        guard bytes.count == Self.prefix.utf8.count + Self.idLength + 1 + Self.secretLength,
              bytes.withContiguousStorageIfAvailable(Self.hasTokenShape) ?? Self.hasTokenShape(Array(bytes))
        else { return nil }
        let start = bytes.index(bytes.startIndex, offsetBy: Self.prefix.utf8.count)
        self.id = String(value[start..<bytes.index(start, offsetBy: Self.idLength)])
        self.value = value
    }
}
