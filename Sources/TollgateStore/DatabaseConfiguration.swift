import TollgateBase

/// How a ``Database`` is opened. Every field has a documented default; validate at start-up.
package struct DatabaseConfiguration: Sendable, Equatable {
    /// The most connections the pool opens (default 8). `sqlite::memory:` always uses one.
    package var poolSize: Int
    /// How long a caller waits for a free connection before ``StoreError/Code/poolTimeout`` (default 10 s).
    package var checkoutTimeout: Duration
    /// How long SQLite waits on a locked database before ``StoreError/Code/busy`` (default 5 s).
    package var busyTimeout: Duration
    /// The `application_name` PostgreSQL shows in `pg_stat_activity`, unless the URI sets one
    /// (default `tollgate`).
    package var applicationName: String

    package init(
        poolSize: Int = 8,
        checkoutTimeout: Duration = .seconds(10),
        busyTimeout: Duration = .seconds(5),
        applicationName: String = "tollgate"
    ) {
        self.poolSize = poolSize
        self.checkoutTimeout = checkoutTimeout
        self.busyTimeout = busyTimeout
        self.applicationName = applicationName
    }

    /// Throws when a field is out of range.
    package func validate() throws(StoreError) {
        guard poolSize >= 1 else { throw StoreError(.other, "poolSize must be at least 1") }
        guard checkoutTimeout >= .zero else { throw StoreError(.other, "checkoutTimeout must not be negative") }
        guard busyTimeout >= .zero else { throw StoreError(.other, "busyTimeout must not be negative") }
    }
}

extension Duration {
    /// Whole milliseconds, clamped to `Int32` (for `sqlite3_busy_timeout`).
    var milliseconds: Int32 {
        Int32(clamping: Int64((seconds * 1000).rounded(.up).clamped(to: 0...Double(Int32.max))))
    }
}

extension Double {
    fileprivate func clamped(to range: ClosedRange<Double>) -> Double {
        Swift.min(Swift.max(self, range.lowerBound), range.upperBound)
    }
}
