import TollgateBase
import TollgateWire
import Foundation

/// Event data composed from members already encoded, so the write path encodes each object once
/// (`WireJSON`, as the API shows it) instead of encoding, parsing and encoding again.
package enum EventData {
    /// One member: an API representation (`WireJSON`).
    package static func encoded(_ value: some Encodable) throws -> String {
        String(decoding: try WireJSON.encoder().encode(value), as: UTF8.self)
    }

    /// A JSON object of the members (each value a JSON text), keys sorted as `WireJSON` sorts them.
    package static func object(_ members: [String: String]) -> String {
        "{" + members.sorted { $0.key < $1.key }.map { JSONString.quoted($0.key) + ":" + $0.value }.joined(separator: ",") + "}"
    }
}
