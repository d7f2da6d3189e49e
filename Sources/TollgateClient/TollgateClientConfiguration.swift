#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
import Tollgate

/// How a ``TollgateClient`` reaches the service, how long it trusts what it cached, and what it
/// answers when it cannot know.
///
/// Durations below zero are treated as zero.
public struct TollgateClientConfiguration: Sendable {
    /// The service's base URL, such as `https://tollgate.internal:8080`; the client appends
    /// `/v1/customers/{external_id}/entitlements` to its path.
    public var baseURL: URL
    /// A bearer API key with the `read` scope. Never logged, never in an error's description.
    public var apiKey: String
    /// How long a fetched snapshot answers checks without asking the service again.
    /// Default 30 seconds.
    public var cacheTTL: Duration
    /// The most a request to the service may take before it counts as unreachable.
    /// Default 2 seconds.
    public var requestTimeout: Duration
    /// How long past its TTL a snapshot may still answer while the service is unreachable
    /// (HTTP's `max-stale`): a snapshot answers with ``AnswerSource/staleCache`` until it is
    /// `cacheTTL + maxStale` old, and the fallback answers after that. Default 1 hour.
    public var maxStale: Duration
    /// After a failed request for a customer, how long checks for that customer answer from the
    /// stale cache or the fallback without trying again, so an unreachable service costs each
    /// check nothing rather than a timeout. Default 1 second.
    public var retryInterval: Duration
    /// What to answer, per feature, when there is no usable snapshot.
    public var fallback: FallbackPolicy
    /// Where the client reads the time its TTL, `maxStale` and `retryInterval` are measured on:
    /// the monotonic clock. A test or a simulation may move time itself instead of waiting.
    public var clock: @Sendable () -> ContinuousClock.Instant = { .now }
    /// Whether the client follows the service's live event stream (`GET /v1/events/stream`) and
    /// drops a cached snapshot as soon as the service announces a change to it (see
    /// ``TollgateClient``, *Following the event stream*). Default `true`. While the stream is down,
    /// cached answers say so (``AnswerSource/cacheStreamDown``) and only the TTL bounds their age.
    public var followEvents: Bool = true
    /// The longest the event stream may stay silent before the client takes it for dead and
    /// reconnects. The service sends a heartbeat every 15 s (or less); default 45 seconds.
    public var eventStreamIdleTimeout: Duration = .seconds(45)

    /// Creates a configuration; every parameter but the address and the key has a default.
    public init(
        baseURL: URL,
        apiKey: String,
        cacheTTL: Duration = .seconds(30),
        requestTimeout: Duration = .seconds(2),
        maxStale: Duration = .seconds(3600),
        retryInterval: Duration = .seconds(1),
        fallback: FallbackPolicy = FallbackPolicy()
    ) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.cacheTTL = cacheTTL
        self.requestTimeout = requestTimeout
        self.maxStale = maxStale
        self.retryInterval = retryInterval
        self.fallback = fallback
    }
}
