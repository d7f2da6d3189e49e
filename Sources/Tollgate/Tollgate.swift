/// Tollgate: the domain model of plans, features, entitlements and subscriptions, the
/// entitlement evaluator, the GCRA limiter and the snapshot format. Pure Swift: no I/O,
/// no C libraries, so importing it costs an importer nothing.
public enum TollgateLibrary {
    /// The version of the library and of the service built with it.
    public static let version = "0.1.0"
}
