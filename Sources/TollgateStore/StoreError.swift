/// An error from the store. `code` tells the kinds apart that callers act on; `message` is
/// safe to log: it never carries SQL parameters, only the driver's primary message.
package struct StoreError: Error, Sendable, CustomStringConvertible {
    /// An open set of error kinds: new codes can be added without breaking callers.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let description: String
        init(_ name: String) { description = name }

        /// A UNIQUE or PRIMARY KEY constraint was violated.
        package static let uniqueViolation = Code("unique_violation")
        package static let foreignKeyViolation = Code("foreign_key_violation")
        package static let constraintViolation = Code("constraint_violation")
        /// The transaction lost a race (PostgreSQL 40001/40P01, SQLite BUSY_SNAPSHOT); retry it whole.
        package static let serializationFailure = Code("serialization_failure")
        /// The database stayed locked longer than the busy timeout (SQLite).
        package static let busy = Code("busy")
        /// The connection to the server broke; the pool drops it and opens another.
        package static let connectionLost = Code("connection_lost")
        /// Opening a connection failed (server down, bad credentials, missing file).
        package static let connectionFailed = Code("connection_failed")
        /// No pooled connection became free in time.
        package static let poolTimeout = Code("pool_timeout")
        /// The store refused a value it cannot keep (PostgreSQL class 22, data exception: text with
        /// U+0000, a timestamp or number out of its range). The caller's input is at fault.
        package static let invalidValue = Code("invalid_value")
        /// The store cannot keep a write: a read-only SQLite file or PostgreSQL replica, or a SQLite
        /// file removed or replaced while open (a write would go to a file no restart finds).
        package static let readOnly = Code("read_only")
        package static let invalidURL = Code("invalid_url")
        package static let decoding = Code("decoding")
        package static let migration = Code("migration")
        package static let closed = Code("closed")
        package static let other = Code("other")
    }

    package var code: Code
    package var message: String

    /// The one rule for "the store, not the request, failed": a retry may cure it (here, on another
    /// instance, or after a failover). The API answers 503 with `Retry-After`; the Stripe applier
    /// and `stripe sync` stop and leave the event or object untouched for a later turn.
    package var isTransient: Bool {
        [.connectionLost, .connectionFailed, .poolTimeout, .busy, .serializationFailure, .closed, .readOnly].contains(code)
    }
    /// PostgreSQL's SQLSTATE or SQLite's extended result code, when the driver reported one.
    package var driverCode: String?
    /// The violated constraint's name, when the driver reported one.
    package var constraint: String?

    package init(_ code: Code, _ message: String, driverCode: String? = nil, constraint: String? = nil) {
        self.code = code
        self.message = message
        self.driverCode = driverCode
        self.constraint = constraint
    }

    package var description: String {
        var text = "\(code): \(message)"
        if let driverCode { text += " [\(driverCode)]" }
        return text
    }
}
