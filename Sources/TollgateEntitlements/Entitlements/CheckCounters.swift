package import Tollgate
package import TollgateBase

/// Entitlement checks by outcome and denial reason, counted in process:
/// `tollgate_entitlement_checks_total{outcome,reason}`.
///
/// A check is a hot path (tens of thousands a second over HTTP): every known series is resolved
/// once here, so that counting an allowed check is one relaxed atomic add, and a denied one a few
/// integer comparisons, one or two string comparisons (the reason's code) and that add — no lock,
/// no lookup, no allocation (measured: about 10 ns allowed, 30–40 ns denied, against tens of
/// microseconds for the request). Only a reason this build does not list takes the family's lookup.
package struct CheckCounters: Sendable {
    private let family: CounterFamily
    private let allowed: Counter
    /// The known reasons' codes, their UTF-8 lengths (compared first: one `Int` each, so that at
    /// most two codes are compared as strings) and their series, index for index.
    private let codes: [String]
    private let lengths: [Int]
    private let denied: [Counter]

    /// The reasons resolved up front.
    static let knownReasons: [DenialReason] = [
        .featureNotInPlan, .limitExceeded, .noActiveSubscription, .unknownCustomer, .unknownFeature, .insufficientCredits, .notAssigned,
        .invalidQuantity,
    ]

    package init(_ metrics: MetricsRegistry) {
        let family = metrics.counter(
            "tollgate_entitlement_checks_total",
            help: "Entitlement checks this instance answered, by outcome (allowed, denied) and denial reason (none when allowed)",
            labels: ["outcome", "reason"])
        self.family = family
        allowed = family.counter("allowed", "none")
        codes = Self.knownReasons.map(\.rawValue)
        lengths = codes.map(\.utf8.count)
        denied = codes.map { family.counter("denied", $0) }
    }

    /// Counts one answered check.
    package func record(_ result: CheckResult) {
        guard !result.allowed else { return allowed.increment() }
        let code = result.reason?.rawValue ?? "unspecified"
        let length = code.utf8.count
        for index in codes.indices where lengths[index] == length && codes[index] == code { return denied[index].increment() }
        family.increment("denied", code)
    }
}
