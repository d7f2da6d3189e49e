import Foundation
import Synchronization
import TollgateBase
package import TollgateLogging

/// A blocking HTTP/1.1 client over the libcurl easy API, with connections kept across calls.
///
/// ``perform(_:)`` blocks the calling thread until the response has arrived or the request failed;
/// call it from worker threads, never from the Swift concurrency pool. Any number of threads may
/// call it at once: each call checks an easy handle out of a small pool (keyed by scheme, host and
/// port), so a later request to the same origin reuses the handle and with it libcurl's live
/// connection (`CURLINFO_NUM_CONNECTS` is then 0, see ``Response/connectionsOpened``).
///
/// Every request sets `CURLOPT_NOSIGNAL` (threads and timeouts without `SIGALRM`), allows only the
/// `http` and `https` schemes, follows no redirects, and has its own connect and total timeouts.
/// A call made within a traced operation (``TraceContext/current``) sends its `traceparent` (and
/// `tracestate`) unless the request sets them.
///
/// ```swift
/// let client = HTTPClient()
/// let response = try client.perform(.init(method: .GET, url: "https://api.example.com/v1/x"))
/// ```
package final class HTTPClient: Sendable {
    /// Limits of one client. Every field has a documented default.
    package struct Configuration: Sendable, Equatable {
        /// Idle easy handles (each with its open connections) kept per origin. Default 4.
        package var maxIdleHandlesPerOrigin: Int
        /// Idle easy handles kept in all. Default 16.
        package var maxIdleHandles: Int
        /// The largest response body accepted; a larger one fails with
        /// ``HTTPClientError/Code/responseTooLarge``. Default 32 MiB.
        package var maxResponseBytes: Int
        /// The `User-Agent` sent when a request sets none. Default `Tollgate (libcurl)`.
        package var userAgent: String
        /// What a body over ``maxResponseBytes`` does: fail the request (the default), or end the
        /// transfer there and return the response with the body cut
        /// (``Response/bodyTruncated``): for callers that need the status and not the body
        /// (webhook deliveries), so a receiver cannot make them read without end.
        package var truncatesLargeResponses: Bool

        package init(
            maxIdleHandlesPerOrigin: Int = 4, maxIdleHandles: Int = 16, maxResponseBytes: Int = 32 << 20,
            userAgent: String = "Tollgate (libcurl)", truncatesLargeResponses: Bool = false
        ) {
            self.maxIdleHandlesPerOrigin = maxIdleHandlesPerOrigin
            self.maxIdleHandles = maxIdleHandles
            self.maxResponseBytes = maxResponseBytes
            self.userAgent = userAgent
            self.truncatesLargeResponses = truncatesLargeResponses
        }
    }

    package let configuration: Configuration
    private let logger: Logger
    /// Idle handles by origin, most recently used last.
    private let idle = Mutex<[String: [EasyHandle]]>([:])

    package init(configuration: Configuration = Configuration(), logger: Logger = .disabled) {
        self.configuration = configuration
        self.logger = logger.labeled("http-client")
    }

    /// Sends `request` and waits for the whole response.
    ///
    /// Throws ``HTTPClientError`` when no HTTP response arrived (or it was too large); any status
    /// code, 4xx and 5xx included, is returned as a ``Response``.
    package func perform(_ request: Request) throws(HTTPClientError) -> Response {
        var request = request
        if let trace = TraceContext.current, request.headers[TraceContext.parentHeader] == nil {
            request.headers.add(TraceContext.parentHeader, trace.traceparent)
            if let state = trace.state { request.headers.add(TraceContext.stateHeader, state) }
        }
        let origin = Self.origin(of: request.url)
        let handle = try checkOut(origin: origin)
        defer { checkIn(handle, origin: origin) }
        let response = try handle.perform(
            request, defaultUserAgent: configuration.userAgent, maxResponseBytes: configuration.maxResponseBytes,
            truncatesLargeResponses: configuration.truncatesLargeResponses)
        logger.trace("http request", [
            "method": request.method.rawValue, "origin": origin, "status": String(response.status),
            "new_connections": String(response.connectionsOpened),
        ])
        return response
    }

    /// The number of idle easy handles in the pool (for tests and metrics).
    package var idleHandleCount: Int {
        idle.withLock { $0.values.reduce(0) { $0 + $1.count } }
    }

    private func checkOut(origin: String) throws(HTTPClientError) -> EasyHandle {
        let pooled = idle.withLock { idle -> EasyHandle? in
            guard var handles = idle[origin], let handle = handles.popLast() else { return nil }
            idle[origin] = handles.isEmpty ? nil : handles
            return handle
        }
        if let pooled { return pooled }
        return try EasyHandle()
    }

    private func checkIn(_ handle: EasyHandle, origin: String) {
        let limits = configuration
        // A handle the pool has no room for is dropped outside the lock (deinit closes its connections).
        let dropped: EasyHandle? = idle.withLock { idle in
            let total = idle.values.reduce(0) { $0 + $1.count }
            let forOrigin = idle[origin]?.count ?? 0
            guard total < limits.maxIdleHandles, forOrigin < limits.maxIdleHandlesPerOrigin else { return handle }
            idle[origin, default: []].append(handle)
            return nil
        }
        _ = dropped
    }

    /// `scheme://host:port` of an absolute URL, lowercased: the pool's key. A URL without `://`
    /// is its own key (libcurl rejects it anyway).
    static func origin(of url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? authority
        return (url[..<schemeEnd.upperBound] + hostPort).lowercased()
    }
}
