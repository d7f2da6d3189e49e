import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Tollgate
import TollgateBase

/// Follows the service's live stream (`GET /v1/events/stream`, Server-Sent Events) on its own
/// `URLSession` with a streaming data delegate, and tells the client what happened: connected,
/// an event, disconnected. Reconnects after the server's `retry:` (1 s) and then with exponential
/// backoff and jitter (up to ``maximumBackoff``), sending `Last-Event-ID`, so that no event is
/// missed within the service's retention.
///
/// `@unchecked Sendable`: `URLSessionDataDelegate` requires an `NSObject`; every mutable field is in
/// `state` (a `Mutex`), and URLSession calls the delegate on one serial queue.
final class EventFollower: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// What the client hears.
    enum Signal: Sendable {
        /// The stream is open; `resumed` when it continues from a `Last-Event-ID` (no event missed).
        case connected(resumed: Bool)
        case event(ServerSentEvent)
        case disconnected
    }

    static let maximumBackoff: TimeInterval = 30

    private struct State {
        var parser = ServerSentEventParser()
        var session: URLSession?
        var task: URLSessionDataTask?
        var stopped = false
        /// Connection attempts that failed since the stream was last open.
        var failures = 0
    }

    private let url: URL?
    private let apiKey: String
    private let idleTimeout: Duration
    private let handler: @Sendable (Signal) -> Void
    private let state = Mutex(State())

    init(baseURL: URL, apiKey: String, idleTimeout: Duration, handler: @escaping @Sendable (Signal) -> Void) {
        var text = baseURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        url = URL(string: text + "/v1/events/stream")
        self.apiKey = apiKey
        self.idleTimeout = idleTimeout
        self.handler = handler
        super.init()
    }

    /// Opens the stream (and keeps reopening it until ``stop()``).
    func start() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        // The longest silence accepted: the service sends a heartbeat every 15 s.
        configuration.timeoutIntervalForRequest = SnapshotFetcher.seconds(idleTimeout)
        configuration.timeoutIntervalForResource = .infinity
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
        let started = state.withLock { state -> Bool in
            guard !state.stopped, state.session == nil else { return false }
            state.session = session
            return true
        }
        if started { connect() } else { session.invalidateAndCancel() }
    }

    /// Closes the stream for good (the session's reference to this delegate is released).
    func stop() {
        let session = state.withLock { state -> URLSession? in
            state.stopped = true
            defer { state.session = nil; state.task = nil }
            return state.session
        }
        session?.invalidateAndCancel()
    }

    private func connect() {
        guard let url else { return }
        state.withLock { state in
            guard !state.stopped, let session = state.session else { return }
            var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: SnapshotFetcher.seconds(idleTimeout))
            request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization")
            request.setValue("text/event-stream", forHTTPHeaderField: "Accept")
            request.setValue("TollgateClient/\(TollgateLibrary.version)", forHTTPHeaderField: "User-Agent")
            if !state.parser.lastEventID.isEmpty {
                request.setValue(state.parser.lastEventID, forHTTPHeaderField: "Last-Event-ID")
            }
            // A new parser per connection (an event cut off by a drop is discarded), the ID kept.
            state.parser = ServerSentEventParser(lastEventID: state.parser.lastEventID)
            let task = session.dataTask(with: request)
            state.task = task
            task.resume()
        }
    }

    // MARK: URLSessionDataDelegate

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let type = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type") ?? ""
        guard status == 200, type.lowercased().hasPrefix("text/event-stream") else {
            completionHandler(.cancel)  // didCompleteWithError follows: retried with backoff
            return
        }
        let resumed = state.withLock { state -> Bool in
            guard state.task === dataTask else { return false }
            state.failures = 0
            return !state.parser.lastEventID.isEmpty
        }
        completionHandler(.allow)
        handler(.connected(resumed: resumed))
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let events = state.withLock { state -> [ServerSentEvent] in
            guard state.task === dataTask else { return [] }
            return state.parser.feed(data)
        }
        for event in events { handler(.event(event)) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let delay = state.withLock { state -> TimeInterval? in
            guard state.task === task, !state.stopped else { return nil }
            state.task = nil
            state.failures += 1
            let base = Double(state.parser.retryMilliseconds ?? 1000) / 1000
            return Backoff.delay(afterAttempts: state.failures, base: base, cap: Self.maximumBackoff)
        }
        guard let delay else { return }
        handler(.disconnected)
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
            self?.connect()
        }
    }
}
