import Foundation
import TollgateBase
import TollgateEntitlements
import TollgateEvents
import TollgateHTTPServer
import TollgateWire

/// `GET /v1/events/stream`: the event log as Server-Sent Events, resumable by position.
enum EventStreamRoutes {
    static func endpoints(log: EventLog) -> [Endpoint] {
        [
            Endpoint(.GET, "/v1/events/stream", scope: .read, documentation: .init(
                "streamEvents",
                summary: "The event log live, as Server-Sent Events (text/event-stream): `retry: 1000` first; then per event "
                    + "`id: <position>`, `event: <type>`, `data: <the event as JSON on one line>`; a comment line `: heartbeat` "
                    + "after 15 s of silence (TOLLGATE_EVENT_STREAM_HEARTBEAT). Resumes after the position in `Last-Event-ID` (or `last_event_id`) with no gap and "
                    + "no duplicate; when retention purged events after it, an `event: reset` frame comes first (drop what you "
                    + "derived from earlier events). Without either, starts with the next event. 503 beyond the server's stream limit.",
                tag: "Events",
                query: [
                    .init("customer", "Only events about the customer with this external id"),
                    .init("types", "Only events of these types, comma-separated (e.g. `entitlements.updated,grant.created`; `*`: all); an unknown type is a 400"),
                    .init("last_event_id", "Resume after this position (for clients that cannot send `Last-Event-ID`); the header wins",
                          schema: ["type": "string", "pattern": "^[0-9]{1,18}$"]),
                ],
                responseSchema: nil, responseMediaType: "text/event-stream",
                headers: [.init("Last-Event-ID", "The position of the last event received (the `id:` of its frame): resume after it")])
            ) { request, _ in
                let filter = try filter(of: request)
                let requested = try lastEventID(of: request)
                let (start, preamble) = try startingPoint(log: log, requested: requested)
                let stream = EventStream(log: log, filter: filter, after: start, preamble: preamble, logger: request.logger)
                return .stream(stream, heartbeat: EventStream.heartbeat, headers: [
                    "Content-Type": "text/event-stream",
                    "Cache-Control": "no-store",
                    "X-Accel-Buffering": "no",
                ])
            },
        ]
    }

    /// `customer` and `types` (read as `GET /v1/events` reads them; an unknown type is a 400 naming
    /// it); an empty value is a 400 too, not a stream that never sends anything.
    static func filter(of request: HTTPRequest) throws -> EventFilter {
        var customer: String?
        if let value = request.queryValue("customer") {
            guard !value.isEmpty else { throw invalid("customer", "must not be empty") }
            customer = value
        }
        let types = try request.eventTypes()
        if types?.isEmpty == true { throw invalid("types", "must list event types, comma-separated (or *)") }
        return EventFilter(customer: customer, types: types)
    }

    /// `Last-Event-ID` (or the `last_event_id` query parameter): a position, or nil for "from now".
    /// The query parameter is checked whenever it is given (as its schema says); a non-empty header wins.
    static func lastEventID(of request: HTTPRequest) throws -> Int64? {
        func position(_ text: String, _ field: String) throws -> Int64 {
            guard text.utf8.count <= 18, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let position = Int64(text) else {
                throw invalid(field, "must be the id of an event received from this stream (a non-negative integer)")
            }
            return position
        }
        let query = try request.queryValue("last_event_id").map { try position($0, "last_event_id") }
        if let header = request.headers["Last-Event-ID"], !header.isEmpty { return try position(header, "Last-Event-ID") }
        return query
    }

    /// Where the stream starts and what it sends first. Without a requested position: after the
    /// head (live events only). With one the log still holds everything after: right after it.
    /// Otherwise a `reset` frame, then on from the oldest event kept (retention purged the ones
    /// between) — or from the head, when the position is beyond it (a log this consumer never read).
    static func startingPoint(log: EventLog, requested: Int64?) throws -> (Int64, [UInt8]) {
        let head = try log.head()
        guard let requested else { return (head, EventStream.preamble) }
        let oldest = try log.oldestPosition()
        let start: Int64
        if requested > head {
            start = head
        } else if let oldest, requested < oldest - 1 {
            start = oldest - 1
        } else if oldest == nil, requested < head {
            start = head
        } else {
            return (requested, EventStream.preamble)
        }
        return (start, EventStream.preamble + EventStream.resetFrame(id: start, requested: requested, oldest: oldest))
    }

    private static func invalid(_ field: String, _ issue: String) -> HTTPError {
        HTTPError.badRequest("\(field): \(issue)", code: "invalid_request", details: [.init(field: field, issue: issue)])
    }
}
