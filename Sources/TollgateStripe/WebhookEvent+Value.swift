import Foundation

extension WebhookEvent {
    /// A JSON value of an event's payload, read by path: `object["items"]["data"][0]["price"]`.
    /// A missing key or index reads as `.null`, so a chain of subscripts never fails.
    public indirect enum Value: Sendable, Equatable, Codable {
        case null
        case bool(Bool)
        case number(Double)
        case integer(Int64)
        case string(String)
        case array([Value])
        case object([String: Value])

        public subscript(key: String) -> Value {
            if case .object(let members) = self { return members[key] ?? .null }
            return .null
        }

        public subscript(index: Int) -> Value {
            if case .array(let items) = self, items.indices.contains(index) { return items[index] }
            return .null
        }

        public var string: String? {
            if case .string(let text) = self { return text }
            return nil
        }

        public var integer: Int64? {
            switch self {
            case .integer(let value): value
            case .number(let value): Int64(exactly: value)
            default: nil
            }
        }

        public var bool: Bool? {
            if case .bool(let value) = self { return value }
            return nil
        }

        public var isNull: Bool { self == .null }

        /// A Unix time in seconds as a date.
        public var date: Date? { integer.map { Date(timeIntervalSince1970: TimeInterval($0)) } }

        /// The id of a field that Stripe sends either as an id or as the expanded object.
        public var id: String? { string ?? self["id"].string }

        /// The value as `JSONSerialization` takes it.
        public var foundationObject: Any {
            switch self {
            case .null: NSNull()
            case .bool(let value): value
            case .number(let value): value
            case .integer(let value): value
            case .string(let value): value
            case .array(let items): items.map(\.foundationObject)
            case .object(let members): members.mapValues(\.foundationObject)
            }
        }
    }
}

extension WebhookEvent.Value {
    /// Decodes any JSON value. Booleans stay booleans (the decoder never reads a number as one),
    /// whole numbers become `integer`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([WebhookEvent.Value].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: WebhookEvent.Value].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let items): try container.encode(items)
        case .object(let members): try container.encode(members)
        }
    }
}
