import Foundation
import TollgateBase
import TollgateEntitlements
import TollgateEvents
import TollgateHTTPServer
import TollgateWire

/// The event log over the API: a page of events after a position, and one event.
enum EventRoutes {
    static func endpoints(log: EventLog) -> [Endpoint] {
        [
            Endpoint(.GET, "/v1/events", scope: .read, documentation: .init(
                "listEvents", summary: "Events in log order, after a position (oldest first); the stream's durable source", tag: "Events",
                query: [
                    .init("after", "Only events after this position (default 0: from the oldest kept)", schema: ["type": "integer", "minimum": 0]),
                    .init("limit", "Page size, 1–100 (default 20)", schema: ["type": "integer", "minimum": 1, "maximum": 100]),
                    .init("customer", "Only this customer's events (external id)"),
                    .init("types", "Only these types, comma-separated (`*`: all)"),
                ],
                responseSchema: "EventList")
            ) { request, _ in
                let after = try request.integerQuery("after", in: 0...Int64.max) ?? 0
                let limit = Int(try request.integerQuery("limit", in: 1...100) ?? 20)
                let filter = EventFilter(customer: request.queryValue("customer"), types: try request.eventTypes())
                let events = try log.read(after: after, limit: limit + 1, filter: filter)
                return try .json(Page(items: Array(events.prefix(limit)), hasMore: events.count > limit))
            },
            Endpoint(.GET, "/v1/events/{id}", scope: .read, documentation: .init(
                "getEvent", summary: "One event", tag: "Events", responseSchema: "Event")
            ) { request, _ in
                let id = try request.pathParameter("id")
                guard let event = try log.event(id: id) else { throw DomainError.notFound("event \(id)") }
                return try .json(event)
            },
        ]
    }
}

extension HTTPRequest {
    /// A whole-number query parameter within `range`, or nil when absent.
    func integerQuery(_ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let text = queryValue(name) else { return nil }
        guard let value = Int64(text), range.contains(value) else {
            let issue = range.upperBound == Int64.max ? "must be a whole number from \(range.lowerBound)" : "must be a whole number from \(range.lowerBound) to \(range.upperBound)"
            throw HTTPError.badRequest("\(name): \(issue)", code: "invalid_request", details: [.init(field: name, issue: issue)])
        }
        return value
    }

    /// The `types` filter (comma-separated event types; `*` or absent: all).
    func eventTypes() throws -> Set<EventType>? {
        guard let text = queryValue("types") else { return nil }
        do {
            return try EventType.parseList(text)
        } catch {
            throw HTTPError.badRequest("types: \(error.message)", code: "invalid_request", details: [.init(field: "types", issue: error.message)])
        }
    }
}
