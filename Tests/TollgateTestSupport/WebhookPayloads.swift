import Foundation

/// The recorded Stripe event payloads in `webhooks/events/`, read in place, optionally with fields
/// changed (a new id, another `created`, another status) for one test.
package enum WebhookPayloads {
    package static var folder: String { TestDatabase.repositoryRoot + "/webhooks/events" }

    /// The exact bytes of `webhooks/events/<name>.json`.
    package static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name).json")))
    }

    /// The payload with `changes` applied: key paths with dots (`data.object.status`, array
    /// indexes as numbers: `data.object.items.data.0.quantity`); `NSNull()` sets null.
    package static func event(_ name: String, id: String? = nil, created: Int? = nil, _ changes: [String: Any] = [:]) throws -> [UInt8] {
        guard var root = try JSONSerialization.jsonObject(with: Data(try bytes(name))) as? [String: Any] else {
            throw HTTPTestClientError("\(name) is not a JSON object")
        }
        var all = changes
        if let id { all["id"] = id }
        if let created { all["created"] = created }
        for (path, value) in all {
            root = set(root, path.split(separator: ".").map(String.init), value) as? [String: Any] ?? root
        }
        return Array(try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys]))
    }

    private static func set(_ node: Any, _ path: [String], _ value: Any) -> Any {
        guard let key = path.first else { return value }
        let rest = Array(path.dropFirst())
        if var array = node as? [Any], let index = Int(key), array.indices.contains(index) {
            array[index] = set(array[index], rest, value)
            return array
        }
        var object = node as? [String: Any] ?? [:]
        object[key] = set(object[key] ?? [String: Any](), rest, value)
        return object
    }
}
