public import Tollgate

/// Where a ``ClientCheck`` answer came from.
public enum AnswerSource: Sendable, Hashable {
    /// A snapshot the service sent or confirmed (`304 Not Modified`) during this check; or, for
    /// an unknown customer, the service's 404 (or a customer id the service cannot hold, such as
    /// an empty one or one with `/`, answered without asking).
    case fresh
    /// A cached snapshot younger than the TTL; no request was made. With
    /// ``TollgateClientConfiguration/followEvents`` on, the event stream is open too, so the
    /// snapshot would have been dropped had the service announced a change to it.
    case cache
    /// A cached snapshot younger than the TTL, answered while the event stream the client follows
    /// is down (not yet open, or reconnecting): a change made since the snapshot was fetched may
    /// not be reflected until the TTL ends. No request was made.
    case cacheStreamDown
    /// A cached snapshot older than the TTL, used because the service could not be reached
    /// (within ``TollgateClientConfiguration/maxStale``).
    case staleCache
    /// No usable snapshot: the feature's ``FallbackMode`` decided.
    case fallback
}

/// The client's answer to "may this customer use this feature (this much) now?".
public struct ClientCheck: Sendable, Hashable {
    /// Whether the use is allowed.
    public var allowed: Bool
    /// Why not, when `allowed` is false: the evaluator's reason, ``DenialReason/unknownCustomer``,
    /// or for a fail-closed fallback ``DenialReason/serviceUnavailable`` or
    /// ``DenialReason/clientNotAuthorized``.
    public var reason: DenialReason?
    /// The evaluator's full answer (value, usage, remaining, reset time) when a snapshot
    /// answered; nil for a fallback or an unknown customer.
    public var result: CheckResult?
    /// Where the answer came from.
    public var source: AnswerSource
    /// Why the service gave no current answer, for ``AnswerSource/staleCache`` and
    /// ``AnswerSource/fallback``; nil otherwise (also for ``AnswerSource/cacheStreamDown``). Safe to log.
    public var error: TollgateClientError?

    /// Creates an answer.
    public init(
        allowed: Bool, reason: DenialReason? = nil, result: CheckResult? = nil, source: AnswerSource,
        error: TollgateClientError? = nil
    ) {
        self.allowed = allowed
        self.reason = reason
        self.result = result
        self.source = source
        self.error = error
    }

    /// Whether the answer came from the fallback policy rather than from the service's data.
    public var isFallback: Bool { source == .fallback }
}
