package import Foundation
import TollgateBase

/// A Stripe event as delivered to a webhook endpoint: the envelope Tollgate needs to store and
/// order it, and the event's object.
///
/// See <https://docs.stripe.com/api/events/object>. Only `id`, `type`, `created` and `data.object`
/// are required; everything else is read where a handler needs it.
package struct WebhookEvent: Sendable, Equatable {
    /// `evt_…`: unique per event; Stripe delivers the same id again on a retry.
    package var id: String
    /// `customer.subscription.updated`, `invoice.paid`, …
    package var type: String
    /// When the event happened (Unix seconds); what the ordering guard compares.
    package var created: Int64
    /// `api_version` of the payload (`2017-08-15` from localstripe; dated versions from Stripe).
    package var apiVersion: String?
    /// `data.object`.
    package var object: StripeObject
    /// `data.object.id`, when the object has one (the entitlement summary has none).
    package var objectID: String?

    /// Parses a delivered body in full. Throws ``WebhookEventError`` naming what is missing; the
    /// message never echoes the body.
    package init(json bytes: [UInt8]) throws(WebhookEventError) {
        let envelope = try Envelope(json: bytes)
        let root: StripeObject
        do {
            root = try JSONDecoder().decode(StripeObject.self, from: Data(bytes))
        } catch {
            throw WebhookEventError("the body is not valid JSON")
        }
        self.id = envelope.id
        self.type = envelope.type
        self.created = envelope.created
        self.apiVersion = envelope.apiVersion
        self.object = root["data"]?["object"] ?? .null
        self.objectID = envelope.objectID
    }

    /// What storing an event needs, read without building the whole payload (the intake path).
    package struct Envelope: Sendable, Equatable {
        package var id: String
        package var type: String
        package var created: Int64
        package var apiVersion: String?
        package var objectID: String?

        /// Checks that the body is a Stripe event: `id` and `type` (printable ASCII, at most 255
        /// characters), `created` (Unix seconds), and `data.object` (an object).
        package init(json bytes: [UInt8]) throws(WebhookEventError) {
            struct Shape: Decodable {
                struct Payload: Decodable {
                    struct Object: Decodable { var id: String? }
                    var object: Object
                }
                var id: String
                var type: String
                var created: Int64
                var data: Payload
                var api_version: String?
            }
            let shape: Shape
            do {
                shape = try JSONDecoder().decode(Shape.self, from: Data(bytes))
            } catch let error as DecodingError {
                throw WebhookEventError(Self.describe(error))
            } catch {
                throw WebhookEventError("the body is not valid JSON")
            }
            guard WebhookEvent.isIdentifier(shape.id) else { throw WebhookEventError("id: must be 1 to 255 printable ASCII characters") }
            guard WebhookEvent.isIdentifier(shape.type) else { throw WebhookEventError("type: must be 1 to 255 printable ASCII characters") }
            guard shape.created > 0, shape.created < 32_503_680_000 else { throw WebhookEventError("created: must be a Unix time in seconds") }
            if let objectID = shape.data.object.id, !WebhookEvent.isIdentifier(objectID) {
                throw WebhookEventError("data.object.id: must be 1 to 255 printable ASCII characters")
            }
            id = shape.id
            type = shape.type
            created = shape.created
            apiVersion = shape.api_version
            objectID = shape.data.object.id
        }

        /// `created` as a date.
        package var createdDate: Date { Date(timeIntervalSince1970: TimeInterval(created)) }

        /// Names the field at fault, never the input.
        static func describe(_ error: DecodingError) -> String {
            func path(_ context: DecodingError.Context) -> String {
                context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            }
            switch error {
            case .keyNotFound(let key, let context):
                let parent = path(context)
                return "\(parent.isEmpty ? "" : parent + ".")\(key.stringValue): missing"
            case .typeMismatch(_, let context), .valueNotFound(_, let context):
                return context.codingPath.isEmpty ? "the body is not a JSON object" : "\(path(context)): wrong type"
            case .dataCorrupted(let context):
                return context.codingPath.isEmpty ? "the body is not valid JSON" : "\(path(context)): invalid value"
            @unknown default:
                return "the body is not a Stripe event"
            }
        }
    }

    package init(id: String, type: String, created: Int64, apiVersion: String? = nil, object: StripeObject) {
        self.id = id
        self.type = type
        self.created = created
        self.apiVersion = apiVersion
        self.object = object
        self.objectID = object["id"]?.string
    }

    /// `created` as a date.
    package var createdDate: Date { Date(timeIntervalSince1970: TimeInterval(created)) }

    /// Ids and types are stored and shown: printable ASCII without spaces, at most 255 characters.
    static func isIdentifier(_ text: String) -> Bool {
        let bytes = text.utf8
        return !bytes.isEmpty && bytes.count <= 255 && bytes.allSatisfy { $0 > 32 && $0 < 127 }
    }
}

/// A delivered body that is not a Stripe event. The message names the field, never the input.
package struct WebhookEventError: Error, Sendable, Equatable, CustomStringConvertible {
    package var message: String

    package init(_ message: String) { self.message = message }

    package var description: String { message }
}
