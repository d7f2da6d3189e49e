import Tollgate

/// Fetches entitlement snapshots from a Tollgate service and answers checks locally.
/// (Filled in by the "Catalog … entitlements" issue.)
public enum TollgateClientLibrary {
    public static let version = TollgateLibrary.version
}
