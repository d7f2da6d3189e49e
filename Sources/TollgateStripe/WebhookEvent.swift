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
    ///
    /// One parse (Foundation's `JSONSerialization`, through ``StripeObject/parse(_:)``), the
    /// envelope read from the tree; a body the tree does not make an event of is decided by
    /// ``Envelope/init(json:)``, which names the field at fault. (Decoding the envelope and then the
    /// object through `Decodable`, which tries each JSON type per value, was most of the applier's
    /// own CPU per event.)
    package init(json bytes: [UInt8]) throws(WebhookEventError) {
        guard let root = StripeObject.parse(bytes), let envelope = Envelope(root) else {
            _ = try Envelope(json: bytes)
            throw WebhookEventError("the body is not a Stripe event")
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
        /// The Stripe customer the event's object names (``stripeCustomer(objectType:objectID:customer:customerAccount:)``),
        /// stored with the event so a customer's events are found by it (the console's customer page).
        package var stripeCustomerID: String?

        /// The Stripe customer an object names: its own id when it is a customer, else its
        /// `customer` (an id, or an expanded customer's id), else its `customer_account` (an
        /// Accounts v2 customer, `acct_…`). Nil when it names none, or not as a printable identifier.
        static func stripeCustomer(objectType: String?, objectID: String?, customer: String?, customerAccount: String?) -> String? {
            let named = objectType == "customer" ? objectID : customer ?? customerAccount
            return named.flatMap { WebhookEvent.isIdentifier($0) ? $0 : nil }
        }

        /// Checks that the body is a Stripe event: `id` and `type` (printable ASCII, at most 255
        /// characters), `created` (Unix seconds), and `data.object` (an object).
        package init(json bytes: [UInt8]) throws(WebhookEventError) {
            struct Shape: Decodable {
                struct Payload: Decodable {
                    struct Object: Decodable {
                        var id: String?
                        var stripeCustomerID: String?

                        enum CodingKeys: String, CodingKey { case id, object, customer, customer_account }
                        struct Expanded: Decodable { var id: String }

                        init(from decoder: any Decoder) throws {
                            let container = try decoder.container(keyedBy: CodingKeys.self)
                            id = try container.decodeIfPresent(String.self, forKey: .id)
                            // Read leniently: a field of another shape names no customer; it does not make the body no event.
                            let customer: String? = (try? container.decodeIfPresent(String.self, forKey: .customer))
                                ?? (try? container.decodeIfPresent(Expanded.self, forKey: .customer))?.id
                            let objectType: String? = try? container.decodeIfPresent(String.self, forKey: .object)
                            let customerAccount: String? = try? container.decodeIfPresent(String.self, forKey: .customer_account)
                            stripeCustomerID = Envelope.stripeCustomer(
                                objectType: objectType, objectID: id, customer: customer, customerAccount: customerAccount)
                        }
                    }
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
            stripeCustomerID = shape.data.object.stripeCustomerID
        }

        /// The envelope of a parsed body, when it is an event by the rules above (nil otherwise:
        /// ``init(json:)`` then says why).
        init?(_ root: StripeObject) {
            guard case .string(let id)? = root["id"], WebhookEvent.isIdentifier(id),
                  case .string(let type)? = root["type"], WebhookEvent.isIdentifier(type),
                  case .integer(let created)? = root["created"], created > 0, created < 32_503_680_000,
                  case .object(let object)? = root["data"]?["object"]
            else { return nil }
            switch object["id"] {
            case nil, .null?: objectID = nil
            case .string(let objectID)? where WebhookEvent.isIdentifier(objectID): self.objectID = objectID
            default: return nil
            }
            stripeCustomerID = Self.stripeCustomer(
                objectType: object["object"]?.string, objectID: objectID, customer: object["customer"]?.id,
                customerAccount: object["customer_account"]?.string)
            switch root["api_version"] {
            case nil, .null?: apiVersion = nil
            case .string(let version)?: apiVersion = version
            default: return nil
            }
            self.id = id
            self.type = type
            self.created = Int64(created)
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
