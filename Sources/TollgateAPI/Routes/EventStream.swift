import Foundation
import Synchronization
import TollgateBase
import TollgateEvents
import TollgateHTTPServer
import TollgateLogging
import TollgateWire

/// One consumer of `GET /v1/events/stream`: reads the durable event log by position, one batch at a
/// time, and frames each event for Server-Sent Events. It holds at most one batch
/// (``batchSize`` events) beyond what the server has taken, so a slow consumer costs its batch and
/// its connection's buffer, nothing more: the log is the buffer.
///
/// It waits on the log's `published` watermark, which this process's ``EventPublisher`` raises as it
/// publishes and, between publications, to the head it reads from the store (what another instance
/// or the CLI published): one reader of the head for all streams.
final class EventStream: ResponseStream {
    static let batchSize = 100

    private struct State {
        /// The last position sent, or passed over by the filter.
        var position: Int64
        /// Framed bytes not yet taken by the server.
        var ready: [UInt8]
        /// A store read failed: the stream ends once `ready` is taken (the consumer reconnects
        /// with its `Last-Event-ID` and misses nothing).
        var failed = false
    }

    private let log: EventLog
    private let filter: EventFilter
    private let logger: Logger
    private let state: Mutex<State>

    /// A stream that sends `preamble` first, then the events after `position` that match `filter`.
    init(log: EventLog, filter: EventFilter, after position: Int64, preamble: [UInt8], logger: Logger) {
        self.log = log
        self.filter = filter
        self.logger = logger
        state = Mutex(State(position: position, ready: preamble))
    }

    func read() -> [UInt8]? {
        state.withLock { state in
            defer { state.ready = [] }
            if state.ready.isEmpty, state.failed { return nil }
            return state.ready
        }
    }

    func waitForData(timeout: Duration) -> Bool {
        let (position, pending) = state.withLock { ($0.position, !$0.ready.isEmpty || $0.failed) }
        if pending { return true }
        let target = log.published.wait(beyond: position, timeout: timeout)
        guard target > position else { return false }
        return fetch(after: position, publishedUpTo: target)
    }

    /// Reads the next batch after `position`; every position up to `published` is visible to the
    /// read, so when the batch is not full the stream has seen everything up to there.
    private func fetch(after position: Int64, publishedUpTo published: Int64) -> Bool {
        do {
            let events = try log.read(after: position, limit: Self.batchSize, filter: filter)
            var bytes: [UInt8] = []
            for event in events { bytes += try Self.frame(event) }
            let reached = events.count == Self.batchSize ? (events.last?.position ?? position) : max(events.last?.position ?? position, published)
            state.withLock { state in
                state.position = reached
                state.ready += bytes
            }
            return !bytes.isEmpty
        } catch {
            logger.warning("event stream: reading the log failed; ending the stream", ["error": String(describing: error)])
            state.withLock { $0.failed = true }
            return true
        }
    }

    func close() {}

    // MARK: Framing (the one place the stream's wire format is written)

    /// `id: <position>\nevent: <type>\ndata: <the event, compact WireJSON on one line>\n\n`.
    static func frame(_ event: Event) throws -> [UInt8] {
        let json = try WireJSON.encoder(keys: .verbatim).encode(WireEvent(event))
        return Array("id: \(event.position)\nevent: \(event.type.rawValue)\ndata: ".utf8) + Array(json) + Array("\n\n".utf8)
    }

    /// The reset frame: the events after the consumer's last one are no longer all kept (retention
    /// purged some), so it must drop what it derived from them. Its id is where the stream goes on
    /// from, so a reconnect after it does not reset again.
    static func resetFrame(id: Int64, requested: Int64, oldest: Int64?) -> [UInt8] {
        var data: [String: JSONValue] = ["last_event_id": .integer(Int(requested))]
        data["oldest_position"] = oldest.map { .integer(Int($0)) } ?? .null
        let json = (try? WireJSON.encoder().encode(JSONValue.object(data))) ?? Data("{}".utf8)
        return Array("id: \(id)\nevent: reset\ndata: ".utf8) + Array(json) + Array("\n\n".utf8)
    }

    /// The event's wire shape with its keys spelled out, encoded with verbatim keys: `data` is JSON
    /// whose keys are data (customer metadata, feature keys), which the snake_case key strategy
    /// would rewrite (`orgName` → `org_name`).
    private struct WireEvent: Encodable {
        let event: Event
        init(_ event: Event) { self.event = event }

        enum CodingKeys: String, CodingKey {
            case id, type, createdAt = "created_at", customer, sequence, position, data
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(event.id, forKey: .id)
            try container.encode(event.type, forKey: .type)
            try container.encode(event.createdAt, forKey: .createdAt)
            try container.encodeIfPresent(event.customer, forKey: .customer)
            try container.encodeIfPresent(event.sequence, forKey: .sequence)
            try container.encode(event.position, forKey: .position)
            try container.encode(event.data, forKey: .data)
        }
    }

    /// Sent first: how long a consumer waits before reconnecting (1 s).
    static let preamble = Array("retry: 1000\n\n".utf8)
    /// Sent after ``HTTPServerConfiguration/streamHeartbeat`` of silence: an SSE comment line.
    static let heartbeat = Array(": heartbeat\n\n".utf8)
}
