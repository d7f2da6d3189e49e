/// The generic cell rate algorithm: an exact token bucket in one number per key.
///
/// A key's state is its *theoretical arrival time* (TAT), in nanoseconds on some clock. A request
/// of `cost` at `now` would move it to `max(TAT, now) + cost × T`, where `T = window / limit` is the
/// emission interval; it is allowed when that is at most `τ = burst × T` ahead of `now`. A rested key
/// therefore takes `burst` requests at once, then one every `T`. Denied requests change nothing.
/// See RFC 2697's relatives and Brandur Leach's "Rate limiting, cells, and GCRA".
public struct GCRA: Sendable, Hashable {
    /// `T`: nanoseconds one unit of cost occupies.
    public let emissionInterval: Int64
    /// `τ`: how far ahead of now the TAT may run (`burst × T`).
    public let tolerance: Int64
    /// The policy's burst (capacity).
    public let burst: Int
    /// The policy's steady limit per window, for headers.
    public let limit: Int
    public let windowSeconds: Int

    public init(_ policy: RateLimitPolicy) {
        limit = max(1, policy.limit)
        windowSeconds = max(1, policy.windowSeconds)
        burst = max(1, policy.burst)
        emissionInterval = max(1, Int64(windowSeconds) * 1_000_000_000 / Int64(limit))
        let (product, overflow) = emissionInterval.multipliedReportingOverflow(by: Int64(burst))
        tolerance = overflow ? .max : product
    }

    /// The decision for `cost` units at `now`, given the key's TAT (nil for a key never seen).
    public func decide(tat: Int64?, now: Int64, cost: Int) -> RateLimitDecision {
        let base = max(tat ?? now, now)
        let (increment, overflow) = emissionInterval.multipliedReportingOverflow(by: Int64(max(cost, 1)))
        let (candidate, overflowAgain) = base.addingReportingOverflow(increment)
        if cost >= 1, !overflow, !overflowAgain, candidate - now <= tolerance {
            return allowed(newTAT: candidate, now: now)
        }
        // Denied: the state stays as it was. Retry when enough has drained for this cost (never,
        // when the cost exceeds the burst).
        let retry: Int64? = cost >= 1 && cost <= burst && !overflow && !overflowAgain ? candidate - tolerance - now : nil
        return RateLimitDecision(
            allowed: false, newTAT: nil, limit: limit, windowSeconds: windowSeconds, burst: burst,
            remaining: remaining(tat: base, now: now), resetAfterNanoseconds: base - now, retryAfterNanoseconds: retry)
    }

    /// The decision for a request a backend already admitted atomically, moving the TAT to `newTAT`.
    public func allowed(newTAT: Int64, now: Int64) -> RateLimitDecision {
        RateLimitDecision(
            allowed: true, newTAT: newTAT, limit: limit, windowSeconds: windowSeconds, burst: burst,
            remaining: remaining(tat: newTAT, now: now), resetAfterNanoseconds: newTAT - now, retryAfterNanoseconds: nil)
    }

    /// `cost × T`: how far one admitted request of `cost` moves the TAT; nil when it cannot fit.
    public func increment(cost: Int) -> Int64? {
        guard cost >= 1, cost <= burst else { return nil }
        return emissionInterval * Int64(cost)
    }

    /// Whole units still available at once after the TAT `tat`.
    private func remaining(tat: Int64, now: Int64) -> Int {
        let slack = tolerance - (tat - now)
        return slack <= 0 ? 0 : Int(min(Int64(burst), slack / emissionInterval))
    }
}

/// What a rate limiter decided for one request.
public struct RateLimitDecision: Sendable, Hashable {
    public var allowed: Bool
    /// The key's new TAT when allowed (what a backend stores); nil when denied.
    public var newTAT: Int64?
    public var limit: Int
    public var windowSeconds: Int
    public var burst: Int
    /// Units that could be spent at once right after this decision.
    public var remaining: Int
    /// Nanoseconds until the key is fully rested again.
    public var resetAfterNanoseconds: Int64
    /// Nanoseconds until this request would be allowed; nil when allowed, or never (cost > burst).
    public var retryAfterNanoseconds: Int64?

    public init(
        allowed: Bool, newTAT: Int64?, limit: Int, windowSeconds: Int, burst: Int, remaining: Int,
        resetAfterNanoseconds: Int64, retryAfterNanoseconds: Int64?
    ) {
        self.allowed = allowed
        self.newTAT = newTAT
        self.limit = limit
        self.windowSeconds = windowSeconds
        self.burst = burst
        self.remaining = remaining
        self.resetAfterNanoseconds = resetAfterNanoseconds
        self.retryAfterNanoseconds = retryAfterNanoseconds
    }

    /// Whole seconds until fully rested, rounded up (for `RateLimit` / `X-RateLimit-Reset`).
    public var resetSeconds: Int { Int((resetAfterNanoseconds + 999_999_999) / 1_000_000_000) }
    /// Whole seconds to wait, rounded up (for `Retry-After`); nil when allowed or never.
    public var retryAfterSeconds: Int? { retryAfterNanoseconds.map { Int(($0 + 999_999_999) / 1_000_000_000) } }
}
