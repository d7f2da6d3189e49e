import Foundation
import TollgateCrypto

/// An endpoint's signing secret: `whsec_` and the base64 of 32 random bytes (Standard Webhooks:
/// the key is the base64-decoded part after the prefix).
///
/// Its `description` never shows it: only ``revealed`` does, and only the answer to a create or a
/// rotation calls that.
package struct WebhookSecret: Sendable, Equatable, CustomStringConvertible {
    package static let prefix = "whsec_"

    /// The HMAC key.
    package let key: [UInt8]

    /// A new random secret.
    package static func generate() throws -> WebhookSecret {
        WebhookSecret(key: try SecureRandom.bytes(32))
    }

    package init(key: [UInt8]) { self.key = key }

    /// `whsec_…` as stored; nil for any other text.
    package init?(_ text: String) {
        guard text.hasPrefix(Self.prefix), let key = Base64.decode(String(text.dropFirst(Self.prefix.count))), !key.isEmpty else {
            return nil
        }
        self.key = Array(key)
    }

    /// The secret as the receiver configures it.
    package var revealed: String { Self.prefix + Base64.encode(key) }

    package var description: String { Self.prefix + "…(redacted)" }
}
