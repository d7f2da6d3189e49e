/// A feature of the catalog: something a plan or grant can entitle a customer to.
public struct Feature: Codable, Sendable, Hashable {
    /// The feature's key, such as `api.requests`.
    public var key: FeatureKey
    /// A human-readable name.
    public var name: String
    /// Boolean, limit or metered.
    public var kind: FeatureKind
    /// When the usage of a metered feature resets; `nil` for the other kinds. The evaluator
    /// treats a metered feature without one as ``ResetPeriod/never``.
    public var reset: ResetPeriod?

    /// Creates a feature.
    public init(key: FeatureKey, name: String, kind: FeatureKind, reset: ResetPeriod? = nil) {
        self.key = key
        self.name = name
        self.kind = kind
        self.reset = reset
    }
}
