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

    package let id: String
    package let value: String

    init(id: String, secret: String) {
        self.id = id
        self.value = "\(Self.prefix)\(id)_\(secret)"
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
    }

    /// Splits a presented key; nil when it does not have the shape of a Tollgate key.
    package init?(parsing value: String) {
        guard value.hasPrefix(Self.prefix) else { return nil }
        let rest = value.dropFirst(Self.prefix.count)
        let parts = rest.split(separator: "_", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].utf8.count == Self.idLength, parts[1].utf8.count == Self.secretLength,
              parts[0].utf8.allSatisfy(Self.isAlphanumeric), parts[1].utf8.allSatisfy(Self.isAlphanumeric)
        else { return nil }
        self.id = String(parts[0])
        self.value = value
    }
}
