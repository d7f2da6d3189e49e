import Foundation
import TollgateWire

/// An answer of the API that accepted the request.
struct APIResponse {
    var status: Int
    var body: [UInt8]

    /// The body as the model type the local path returns (the wire's JSON, ``WireJSON``).
    func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        do {
            return try WireJSON.decoder().decode(T.self, from: Data(body))
        } catch {
            throw Failure.internal(cause: "the API's answer is not a \(T.self): \(error)")
        }
    }

    /// The JSON text of member `name` of the body's object (a stored payload the API embeds),
    /// keys sorted as the CLI writes them; "null" when absent.
    func member(_ name: String) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        guard let value = object?[name] else { return "null" }
        if let text = value as? String { return text }
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }
}
