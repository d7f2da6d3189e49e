/// A response body produced while it is sent, for Server-Sent Events: the server asks it for bytes
/// whenever the connection can take more, and waits for it when it has none.
///
/// The server never buffers more than one ``read()`` of it beyond libmicrohttpd's write buffer
/// (bounded by the connection's memory, 32 KiB): a consumer that reads slowly only makes the
/// server ask less often. See docs/http-server.md, *Streaming responses*.
///
/// Calls on one stream never overlap (one thread at a time, in order), but they come from several
/// threads (the connection's thread, libmicrohttpd's I/O thread, the stream pump in epoll mode).
package protocol ResponseStream: AnyObject, Sendable {
    /// The bytes to send next, without blocking: what the last ``waitForData(timeout:)`` fetched.
    /// Empty when nothing is ready; nil when the stream has ended (the response is then finished,
    /// and the connection may serve its next request).
    func read() -> [UInt8]?

    /// Waits up to `timeout` for something to send, fetching it (a store read may block here: it
    /// never runs on libmicrohttpd's shared I/O thread), and returns whether ``read()`` now has
    /// bytes or the end. `timeout` zero: look once, do not wait.
    func waitForData(timeout: Duration) -> Bool

    /// The connection ended (finished, closed by the peer, failed, refused over the stream limit or
    /// at shutdown): release what the stream holds. Called once; no other call follows.
    func close()
}

extension HTTPResponse {
    /// A response whose body is `stream`, sent with chunked transfer encoding as it is produced.
    /// While `stream` has nothing to send for ``HTTPServerConfiguration/streamHeartbeat``,
    /// `heartbeat` is sent (for Server-Sent Events a comment line, `": \n\n"`), which keeps the
    /// connection from looking idle and finds a dead peer (the write fails, the stream is closed).
    ///
    /// Beyond ``HTTPServerConfiguration/streamLimit`` open streams the server answers 503 instead.
    package static func stream(
        _ stream: any ResponseStream, heartbeat: [UInt8], status: Int = 200, headers: HTTPHeaders = HTTPHeaders()
    ) -> HTTPResponse {
        var response = HTTPResponse(status: status, headers: headers)
        response.stream = StreamBody(source: stream, heartbeat: heartbeat)
        return response
    }
}

/// A streamed body: the source and the bytes sent when it is silent.
package struct StreamBody: Sendable {
    package let source: any ResponseStream
    package let heartbeat: [UInt8]
}
