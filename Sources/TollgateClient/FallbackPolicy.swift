public import Tollgate

/// What the client answers for a feature when it has no usable snapshot.
public enum FallbackMode: Sendable, Hashable {
    /// Allow the use: availability matters more than enforcement (say, an API quota).
    case failOpen
    /// Deny the use: enforcement matters more than availability (say, single sign-on).
    case failClosed
}

/// The fallback mode of every feature: a default and per-feature overrides.
///
/// ```swift
/// let policy = FallbackPolicy(default: .failClosed, overrides: ["api.requests": .failOpen])
/// ```
public struct FallbackPolicy: Sendable, Hashable {
    /// The mode of a feature without an override. Default ``FallbackMode/failClosed``.
    public var defaultMode: FallbackMode
    /// Modes of single features, overriding ``defaultMode``.
    public var overrides: [FeatureKey: FallbackMode]

    /// Creates a policy.
    public init(default defaultMode: FallbackMode = .failClosed, overrides: [FeatureKey: FallbackMode] = [:]) {
        self.defaultMode = defaultMode
        self.overrides = overrides
    }

    /// The mode that applies to `feature`.
    public func mode(for feature: FeatureKey) -> FallbackMode {
        overrides[feature] ?? defaultMode
    }
}
