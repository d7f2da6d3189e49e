import Foundation

/// A Stripe event as delivered to a webhook endpoint: the envelope Tollgate needs to store and
/// order it, and the event's object.
///
/// See <https://docs.stripe.com/api/events/object>. Only `id`, `type`, `created` and `data.object`
/// are required; everything else is read where a handler needs it.
public struct WebhookEvent: Sendable, Equatable {
    /// `evt_…`: unique per event; Stripe delivers the same id again on a retry.
    public var id: String
    /// `customer.subscription.updated`, `invoice.paid`, …
    public var type: String
    /// When the event happened (Unix seconds); what the ordering guard compares.
    public var created: Int64
    /// `api_version` of the payload (`2017-08-15` from localstripe; dated versions from Stripe).
    public var apiVersion: String?
    /// `data.object`.
    public var object: Value
    /// `data.object.id`, when the object has one (the entitlement summary has none).
    public var objectID: String?

    /// Parses a delivered body. Throws ``WebhookEventError`` naming what is missing; the message
    /// never echoes the body.
    public init(json bytes: [UInt8]) throws(WebhookEventError) {
        let root: Value
        do {
            root = try JSONDecoder().decode(Value.self, from: Data(bytes))
        } catch {
            throw WebhookEventError("the body is not valid JSON")
        }
        guard case .object = root else { throw WebhookEventError("the body is not a JSON object") }
        guard let id = root["id"].string, Self.isIdentifier(id) else {
            throw WebhookEventError("id: must be a string of 1 to 255 printable ASCII characters")
        }
        guard let type = root["type"].string, Self.isIdentifier(type) else {
            throw WebhookEventError("type: must be a string of 1 to 255 printable ASCII characters")
        }
        guard let created = root["created"].integer, created > 0, created < 32_503_680_000 else {
            throw WebhookEventError("created: must be a Unix time in seconds")
        }
        let object = root["data"]["object"]
        guard case .object = object else { throw WebhookEventError("data.object: must be an object") }
        let objectID = object["id"].string
        if let objectID, !Self.isIdentifier(objectID) {
            throw WebhookEventError("data.object.id: must be a string of 1 to 255 printable ASCII characters")
        }
        self.id = id
        self.type = type
        self.created = created
        self.apiVersion = root["api_version"].string
        self.object = object
        self.objectID = objectID
    }

    public init(id: String, type: String, created: Int64, apiVersion: String? = nil, object: Value) {
        self.id = id
        self.type = type
        self.created = created
        self.apiVersion = apiVersion
        self.object = object
        self.objectID = object["id"].string
    }

    /// `created` as a date.
    public var createdDate: Date { Date(timeIntervalSince1970: TimeInterval(created)) }

    /// Ids and types are stored and shown: printable ASCII without spaces, at most 255 characters.
    static func isIdentifier(_ text: String) -> Bool {
        let bytes = text.utf8
        return !bytes.isEmpty && bytes.count <= 255 && bytes.allSatisfy { $0 > 32 && $0 < 127 }
    }
}

/// A delivered body that is not a Stripe event. The message names the field, never the input.
public struct WebhookEventError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
