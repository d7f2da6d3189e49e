import Foundation
#if canImport(FoundationNetworking)
public import FoundationNetworking
#endif
import Synchronization
public import Tollgate

/// Answers entitlement checks in-process from snapshots fetched from a Tollgate service.
///
/// ```swift
/// import Tollgate
/// import TollgateClient
///
/// let client = TollgateClient(configuration: TollgateClientConfiguration(
///     baseURL: URL(string: "http://tollgate.internal:8080")!,
///     apiKey: ProcessInfo.processInfo.environment["TOLLGATE_API_KEY"] ?? "",
///     cacheTTL: .seconds(30),
///     fallback: FallbackPolicy(default: .failClosed, overrides: ["api.requests": .failOpen])
/// ))
///
/// let answer = await client.check(customer: "org_1", feature: "seats", quantity: 6)
/// if !answer.allowed {
///     print("denied: \(answer.reason?.rawValue ?? "?")")   // e.g. limit_exceeded
/// }
/// if answer.isFallback {
///     print("Tollgate unavailable: \(answer.error.map(String.init(describing:)) ?? "")")
/// }
/// ```
///
/// ## Caching
///
/// Each customer's snapshot (`GET /v1/customers/{external_id}/entitlements`) is cached with its
/// `ETag` and the time it was fetched.
///
/// * Younger than ``TollgateClientConfiguration/cacheTTL``: checks are answered locally by
///   ``EntitlementSnapshot/check(_:quantity:)``, with no request (``AnswerSource/cache``).
/// * Older: the next check revalidates with `If-None-Match`; `304` keeps the snapshot and
///   restarts its TTL, `200` replaces it (both ``AnswerSource/fresh``). Concurrent checks for
///   one customer share one request.
/// * The service unreachable, timing out, answering 5xx or something unreadable: the stale
///   snapshot answers (``AnswerSource/staleCache``) until it is `cacheTTL + maxStale` old; after
///   that, or with nothing cached, the feature's ``FallbackMode`` answers
///   (``AnswerSource/fallback``, ``ClientCheck/isFallback``). A failed customer is not asked
///   again for ``TollgateClientConfiguration/retryInterval``.
/// * An unknown customer (404 `unknown_customer`) is an answer, not a failure: denied with
///   ``DenialReason/unknownCustomer``, cached like a snapshot.
/// * The key refused (401 or 403): a configuration error, not an outage, so a stale snapshot
///   does not answer; ``check(customer:feature:quantity:)`` answers by the fallback policy with
///   ``DenialReason/clientNotAuthorized`` when failing closed, ``snapshot(customer:)`` throws.
///   Either way ``TollgateClientError/isAuthorizationFailure`` says so.
///
/// Metered usage in a cached snapshot is as of when the service generated it: local checks do
/// not count local use. Record usage with the service's `/v1/usage` endpoints.
///
/// ## Following the event stream
///
/// With ``TollgateClientConfiguration/followEvents`` (the default) the client keeps
/// `GET /v1/events/stream` open (the same key; Server-Sent Events) and drops cached snapshots as
/// soon as the service announces a change: a customer's on `entitlements.updated`, `grant.*`,
/// `subscription.*` and `customer.*`; all of them on `catalog.updated`, on a `reset` frame (the
/// service no longer has the events since the client's last one) and when the stream opens
/// without resuming. The next check then fetches the new snapshot. A dropped stream is reopened
/// with `Last-Event-ID` (after 1 s, then with exponential backoff up to 30 s), so events sent
/// meanwhile still arrive. While it is down the TTL alone bounds a snapshot's age, and cached
/// answers say so: ``AnswerSource/cacheStreamDown``.
public final class TollgateClient: Sendable {
    /// The configuration the client was created with.
    public let configuration: TollgateClientConfiguration
    let fetcher: SnapshotFetcher
    private let ownsSession: Bool
    let state = Mutex(State())
    /// The live stream's follower (nil when ``TollgateClientConfiguration/followEvents`` is off).
    private let follower = Mutex<EventFollower?>(nil)
    /// Whether the event stream is open now.
    let streamOpen = Atomic<Bool>(false)

    /// Creates a client with its own ephemeral `URLSession` (no URL cache, no cookies).
    public convenience init(configuration: TollgateClientConfiguration) {
        let sessionConfiguration = URLSessionConfiguration.ephemeral
        sessionConfiguration.urlCache = nil
        sessionConfiguration.requestCachePolicy = .reloadIgnoringLocalCacheData
        sessionConfiguration.httpCookieStorage = nil
        sessionConfiguration.timeoutIntervalForRequest = SnapshotFetcher.seconds(configuration.requestTimeout)
        self.init(configuration: configuration, session: URLSession(configuration: sessionConfiguration), ownsSession: true)
    }

    /// Creates a client that sends its requests through `session`. The session should not
    /// cache responses: the client revalidates with `If-None-Match` itself.
    public convenience init(configuration: TollgateClientConfiguration, session: URLSession) {
        self.init(configuration: configuration, session: session, ownsSession: false)
    }

    private init(configuration: TollgateClientConfiguration, session: URLSession, ownsSession: Bool) {
        var configuration = configuration
        configuration.cacheTTL = max(.zero, configuration.cacheTTL)
        configuration.requestTimeout = max(.zero, configuration.requestTimeout)
        configuration.maxStale = max(.zero, configuration.maxStale)
        configuration.retryInterval = max(.zero, configuration.retryInterval)
        self.configuration = configuration
        self.ownsSession = ownsSession
        fetcher = SnapshotFetcher(
            session: session, baseURL: configuration.baseURL, apiKey: configuration.apiKey, timeout: configuration.requestTimeout)
        if configuration.followEvents { startFollowing() }
    }

    deinit {
        follower.withLock { $0 }?.stop()
        if ownsSession { fetcher.session.finishTasksAndInvalidate() }
    }

    /// Opens the event stream; its signals reach this client weakly (the stream does not keep it alive).
    private func startFollowing() {
        let follower = EventFollower(
            baseURL: configuration.baseURL, apiKey: configuration.apiKey, idleTimeout: configuration.eventStreamIdleTimeout
        ) { [weak self] signal in
            self?.handle(signal)
        }
        self.follower.withLock { $0 = follower }
        follower.start()
    }

    /// Where a cache hit says it came from: ``AnswerSource/cacheStreamDown`` while the client
    /// follows the stream and it is not open.
    var cachedSource: AnswerSource {
        configuration.followEvents && !streamOpen.load(ordering: .acquiring) ? .cacheStreamDown : .cache
    }

    /// Whether `customer` may use `quantity` of `feature` now, answered from the cached snapshot
    /// when it is fresh, and never throwing: when no snapshot is usable, the feature's
    /// ``FallbackMode`` answers and ``ClientCheck/isFallback`` is true.
    ///
    /// `quantity` means what it means to ``EntitlementSnapshot/check(_:quantity:)``: the total
    /// asked for of a limit, the amount to use of a metered feature.
    public func check(customer: String, feature: FeatureKey, quantity: Int64 = 1) async -> ClientCheck {
        let resolution = await resolve(customer)
        switch resolution {
        case .answer(.snapshot(let snapshot), let source, let error):
            let result = snapshot.check(feature, quantity: quantity)
            return ClientCheck(allowed: result.allowed, reason: result.reason, result: result, source: source, error: error)
        case .answer(.unknownCustomer, let source, let error):
            return ClientCheck(allowed: false, reason: .unknownCustomer, source: source, error: error)
        case .failure(let error):
            return fallback(feature: feature, quantity: quantity, error: error)
        }
    }

    /// The customer's snapshot under the same rules as
    /// ``check(customer:feature:quantity:)``: cached while fresh, revalidated when stale, and
    /// while the service is unreachable a stale snapshot within
    /// ``TollgateClientConfiguration/maxStale``.
    ///
    /// - Throws: ``TollgateClientError``: `unknownCustomer`, `unauthorized` or `forbidden`, or
    ///   why the service could not be reached when no snapshot is usable.
    public func snapshot(customer: String) async throws(TollgateClientError) -> EntitlementSnapshot {
        switch await resolve(customer) {
        case .answer(.snapshot(let snapshot), _, _):
            return snapshot
        case .answer(.unknownCustomer, _, _):
            throw TollgateClientError(.unknownCustomer, status: 404, "the service does not know the customer")
        case .failure(let error):
            throw error
        }
    }

    /// Forgets what is cached for `customer`, so the next check fetches anew. A request already
    /// under way still answers the checks waiting on it but is not cached.
    public func invalidate(customer: String) {
        state.withLock { _ = $0.slots.removeValue(forKey: customer) }
    }

    /// Forgets every cached snapshot.
    public func invalidateAll() {
        state.withLock { $0.slots.removeAll() }
    }

    /// The fallback answer for `feature`.
    private func fallback(feature: FeatureKey, quantity: Int64, error: TollgateClientError) -> ClientCheck {
        if quantity < 1 {
            return ClientCheck(allowed: false, reason: .invalidQuantity, source: .fallback, error: error)
        }
        switch configuration.fallback.mode(for: feature) {
        case .failOpen:
            return ClientCheck(allowed: true, source: .fallback, error: error)
        case .failClosed:
            let reason: DenialReason = error.isAuthorizationFailure ? .clientNotAuthorized : .serviceUnavailable
            return ClientCheck(allowed: false, reason: reason, source: .fallback, error: error)
        }
    }
}
