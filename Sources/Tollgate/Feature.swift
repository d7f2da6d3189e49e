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
    /// Metered features: the usage alerts, in percent of the customer's allowance (`[50, 80, 100]`),
    /// each announced once per window; nil takes the catalog's default, empty means none. The
    /// service's concern: the evaluator does not read it.
    public var alerts: [Int]?
    /// Metered features priced in credits: the pool each unit draws from and what it costs there.
    /// Nil for a feature that costs no credits.
    public var credits: FeatureCredits?

    /// Creates a feature.
    public init(
        key: FeatureKey, name: String, kind: FeatureKind, reset: ResetPeriod? = nil, alerts: [Int]? = nil, credits: FeatureCredits? = nil
    ) {
        self.key = key
        self.name = name
        self.kind = kind
        self.reset = reset
        self.alerts = alerts
        self.credits = credits
    }
}
