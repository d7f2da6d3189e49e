import Tollgate

/// The version reported by `tollgate --version` and the OpenAPI document.
package enum TollgateVersion {
    package static let current = TollgateLibrary.version
}
