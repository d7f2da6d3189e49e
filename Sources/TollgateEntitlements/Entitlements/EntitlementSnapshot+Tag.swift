import Foundation
package import Tollgate
import TollgateCrypto
import TollgateWire

extension EntitlementSnapshot {
    /// A strong ETag over the snapshot's content, not its generation time (`"…"`, 32 hex digits):
    /// the API's `ETag`, and what `entitlements.updated` carries as `etag`.
    package func contentTag() throws -> String {
        var content = self
        content.generatedAt = Date(timeIntervalSince1970: 0)
        return "\"" + String(SHA256.hex(Array(try WireJSON.encoder().encode(content))).prefix(32)) + "\""
    }
}
