/// A rate-limit policy of a plan: a steady `limit` requests per `windowSeconds`, and up to `burst`
/// requests at once from a rested key (GCRA; see ``GCRA``).
public struct RateLimitPolicy: Codable, Sendable, Hashable {
    /// The policy's name, such as `api`.
    public var name: String
    /// Requests allowed per window.
    public var limit: Int
    /// The window, in seconds.
    public var windowSeconds: Int
    /// Requests a rested key may make at once (the bucket's capacity), at least 1.
    public var burst: Int

    /// Creates a policy.
    public init(name: String, limit: Int, windowSeconds: Int, burst: Int = 0) {
        self.name = name
        self.limit = limit
        self.windowSeconds = windowSeconds
        self.burst = burst
    }
}
