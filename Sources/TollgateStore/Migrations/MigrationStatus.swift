package import Foundation

/// Where one migration stands, comparing the files with `schema_migrations`.
package struct MigrationStatus: Sendable, Equatable {
    package enum State: Sendable, Equatable {
        /// Recorded, with the same checksum as the file.
        case applied(at: Date)
        /// A file not yet recorded.
        case pending
        /// Recorded, but the file changed since: an error until the file is restored.
        case checksumMismatch
        /// Recorded, but no file has its version any more.
        case missingFile
    }

    package let version: Int
    package let name: String
    package let state: State

    package init(version: Int, name: String, state: State) {
        self.version = version
        self.name = name
        self.state = state
    }
}
