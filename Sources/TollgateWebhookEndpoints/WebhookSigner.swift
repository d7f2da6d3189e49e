package import Foundation
import TollgateCrypto

/// Signs a delivery per Standard Webhooks (https://www.standardwebhooks.com/, "Signature scheme"):
/// `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`, which is
/// `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")) per signing secret, separated by
/// spaces (during a rotation both the new and the previous secret sign).
package enum WebhookSigner {
    /// The three headers for `body` sent as message `id` at `timestamp`, signed with each of `secrets`.
    package static func headers(id: String, timestamp: Date, body: [UInt8], secrets: [WebhookSecret]) -> [(String, String)] {
        let seconds = String(Int64(timestamp.timeIntervalSince1970.rounded(.down)))
        let signatures = secrets.map { signature(id: id, timestamp: seconds, body: body, secret: $0) }
        return [("webhook-id", id), ("webhook-timestamp", seconds), ("webhook-signature", signatures.joined(separator: " "))]
    }

    /// `v1,<base64 HMAC>` of `id.timestamp.body`.
    package static func signature(id: String, timestamp: String, body: [UInt8], secret: WebhookSecret) -> String {
        let message = Array("\(id).\(timestamp).".utf8) + body
        return "v1," + Base64.encode(HMACSHA256.authenticationCode(for: message, key: secret.key))
    }
}
