/// One event of a Server-Sent Events stream.
struct ServerSentEvent: Sendable, Equatable {
    /// The `event:` field, `message` when the server sent none.
    var type: String
    /// The `data:` lines joined with line feeds.
    var data: String
    /// The stream's last event ID when the event was dispatched (`id:` of this or an earlier event).
    var lastEventID: String
}

/// An incremental parser of the `text/event-stream` format, as the WHATWG HTML standard's
/// *Server-sent events* section defines it (§9.2.6, "Interpreting an event stream"): lines end in
/// CR, LF or CRLF (also split across reads); a leading UTF-8 BOM is dropped; `:` starts a comment;
/// the fields are `event`, `data` (repeated lines joined with LF), `id` (ignored when it holds NUL)
/// and `retry` (ASCII digits only); other fields are ignored; a blank line dispatches the event,
/// unless its data is empty. The last event ID survives across events until an `id:` changes it.
///
/// Not thread-safe: one parser per stream, fed in order.
struct ServerSentEventParser {
    private var line: [UInt8] = []
    private var afterCR = false
    private var atStart = true
    private var eventType = ""
    private var data = ""
    private var hasData = false
    /// The last event ID buffer (WHATWG): kept across events.
    private(set) var lastEventID = ""
    /// The reconnection time the server asked for (`retry:`), in milliseconds.
    private(set) var retryMilliseconds: Int?

    init(lastEventID: String = "") {
        self.lastEventID = lastEventID
    }

    /// Parses `bytes` and returns the events they complete.
    mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [ServerSentEvent] where Bytes.Element == UInt8 {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if atStart {
                // The BOM (EF BB BF) is dropped when it opens the stream.
                if line.count < 3, byte == [0xEF, 0xBB, 0xBF][line.count] {
                    line.append(byte)
                    if line.count == 3 {
                        line = []
                        atStart = false
                    }
                    continue
                }
                atStart = false
            }
            switch byte {
            case 0x0A where afterCR:
                afterCR = false  // the LF of a CRLF: the line already ended at the CR
            case 0x0A, 0x0D:
                afterCR = byte == 0x0D
                if let event = endLine() { events.append(event) }
            default:
                afterCR = false
                line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine() -> ServerSentEvent? {
        let text = String(decoding: line, as: UTF8.self)
        line = []
        if text.isEmpty { return dispatch() }
        if text.hasPrefix(":") { return nil }
        let name: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            name = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            name = text[...]
            value = ""
        }
        switch name {
        case "event":
            eventType = String(value)
        case "data":
            data += value
            data += "\n"
            hasData = true
        case "id":
            if !value.contains("\u{0}") { lastEventID = String(value) }
        case "retry":
            if !value.isEmpty, value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let milliseconds = Int(value) {
                retryMilliseconds = milliseconds
            }
        default:
            break
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            eventType = ""
            data = ""
            hasData = false
        }
        guard hasData else { return nil }
        var payload = data
        if payload.hasSuffix("\n") { payload.removeLast() }
        return ServerSentEvent(type: eventType.isEmpty ? "message" : eventType, data: payload, lastEventID: lastEventID)
    }
}
