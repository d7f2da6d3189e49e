/// A rate-limit policy of a plan: `limit` requests per `windowSeconds`, with `burst` extra
/// requests allowed at once (GCRA).
public struct RateLimitPolicy: Codable, Sendable, Hashable {
    /// The policy's name, such as `api`.
    public var name: String
    /// Requests allowed per window.
    public var limit: Int
    /// The window, in seconds.
    public var windowSeconds: Int
    /// Requests allowed at once beyond the steady rate.
    public var burst: Int

    /// Creates a policy.
    public init(name: String, limit: Int, windowSeconds: Int, burst: Int = 0) {
        self.name = name
        self.limit = limit
        self.windowSeconds = windowSeconds
        self.burst = burst
    }
}
