import Tollgate

/// The version reported by `tollgate --version` and the OpenAPI document.
public enum TollgateVersion {
    public static let current = TollgateLibrary.version
}
