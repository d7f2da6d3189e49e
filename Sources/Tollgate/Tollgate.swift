/// Tollgate: the domain model of plans, features, entitlements and subscriptions, the
/// entitlement evaluator, the GCRA limiter and the snapshot format. Pure Swift: no I/O,
/// no C libraries, so importing it costs an importer nothing.
///
/// * Domain: ``Feature``, ``Plan``, ``SubscriptionState``, ``Grant``.
/// * Decisions: ``AccessPolicy`` (which subscriptions grant access), ``UsageWindow`` (when
///   metered usage resets), ``Evaluator`` (effective entitlements).
/// * Serving and checking: ``EntitlementSnapshot`` and its
///   ``EntitlementSnapshot/check(_:quantity:)``.
///
/// **JSON.** Every type is `Codable` with Swift-style (camelCase) coding keys; the service's
/// wire format encodes them with `convertToSnakeCase` keys and ISO 8601 dates (`trial_days`,
/// `resets_at`). Maps keyed by ``FeatureKey`` are JSON objects whose keys are written verbatim,
/// untouched by key strategies.
public enum TollgateLibrary {
    /// The version of the library and of the service built with it.
    public static let version = "0.1.0"
}
