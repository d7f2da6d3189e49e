package import TollgateEntitlements
package import TollgateEvents

/// The event types an endpoint takes: some, or every type (`["*"]` on the wire).
package enum EventSelection: Sendable, Equatable, Codable {
    case all
    case only(Set<EventType>)

    /// The wire's list: `["*"]`, or the types sorted.
    package var names: [String] {
        switch self {
        case .all: ["*"]
        case .only(let types): types.map(\.rawValue).sorted()
        }
    }

    /// The selection a request names: `["*"]` (alone), or known event types; 400 naming `field` otherwise.
    package init(names: [String], field: String = "events") throws(DomainError) {
        guard !names.isEmpty else { throw .invalid(field, "name at least one event type, or [\"*\"] for all") }
        if names.contains("*") {
            guard names == ["*"] else { throw .invalid(field, "\"*\" stands alone: it already means every type") }
            self = .all
            return
        }
        guard Set(names).count == names.count else { throw .invalid(field, "names an event type twice") }
        var types: Set<EventType> = []
        for name in names {
            guard let type = EventType(rawValue: name) else {
                throw .invalid(field, "unknown event type \"\(name.prefix(100))\"; known: \(EventType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            types.insert(type)
        }
        self = .only(types)
    }

    /// What the event log's reader filters by (nil: every type).
    package var types: Set<EventType>? {
        switch self {
        case .all: nil
        case .only(let types): types
        }
    }

    package init(from decoder: any Decoder) throws {
        let names = try decoder.singleValueContainer().decode([String].self)
        do throws(DomainError) {
            self = try EventSelection(names: names)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(names)
    }
}
