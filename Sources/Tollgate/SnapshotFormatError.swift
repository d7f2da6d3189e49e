/// A snapshot in a format version this library cannot read, typically written by a newer
/// service: upgrade the library.
public struct SnapshotFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The version in the snapshot.
    public var found: Int
    /// The version this library reads (``EntitlementSnapshot/formatVersion``).
    public var supported: Int

    /// Creates the error.
    public init(found: Int, supported: Int) {
        self.found = found
        self.supported = supported
    }

    /// Says which versions are involved and what to do.
    public var description: String {
        found > supported
            ? "entitlement snapshot format version \(found) is newer than this library reads (\(supported)); upgrade Tollgate"
            : "entitlement snapshot format version \(found) is not supported (this library reads \(supported))"
    }
}
