package import Foundation
package import Tollgate
package import TollgateStore

/// One usage counter: a customer's usage of a metered feature in one window.
package struct UsageCounterKey: Hashable, Sendable, Comparable {
    package var customerID: String
    package var feature: FeatureKey
    package var windowStart: Date

    /// `windowStart` is kept as the store keeps it: within ``SQLTimestamp/representable`` (a window
    /// that never resets starts at the distant past, stored as year 1), so a key read back from a
    /// row equals the key it was written with.
    package init(customerID: String, feature: FeatureKey, windowStart: Date) {
        self.customerID = customerID
        self.feature = feature
        self.windowStart = min(max(windowStart, SQLTimestamp.representable.lowerBound), SQLTimestamp.representable.upperBound)
    }

    /// The window start to the millisecond (what the store keeps).
    var windowMilliseconds: Int64 { Int64((windowStart.timeIntervalSince1970 * 1000).rounded()) }

    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.customerID == rhs.customerID && lhs.feature == rhs.feature && lhs.windowMilliseconds == rhs.windowMilliseconds
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(customerID)
        hasher.combine(feature)
        hasher.combine(windowMilliseconds)
    }

    /// The order rows are written in, the same in every transaction and every instance, so two
    /// transactions never wait for each other's rows in opposite orders (no deadlock).
    package static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.customerID, lhs.feature.rawValue, lhs.windowMilliseconds) < (rhs.customerID, rhs.feature.rawValue, rhs.windowMilliseconds)
    }
}

/// One row of `usage_events`.
package struct UsageEventRow: Sendable {
    package var id: String
    package var counter: UsageCounterKey
    package var quantity: Int64
    package var idempotencyKey: String?
    package var recordedAt: Date
}

/// All SQL of metered usage: the events (whose unique idempotency key makes a repeat a no-op) and
/// the counters per (customer, feature, window). Every call runs on the caller's connection, inside
/// the caller's transaction.
package enum UsageRepository {
    /// How many rows each statement of a multi-row write takes (``SQLDialect/rowChunks(_:)``).
    static func chunks(_ count: Int, dialect: SQLDialect) -> [Range<Int>] {
        dialect.rowChunks(count)
    }

    /// Inserts `events` (in their order) and returns the ids that were inserted: an event whose
    /// (customer, feature, idempotency key) is already stored is skipped. On PostgreSQL an insert
    /// whose key another transaction holds uncommitted waits for it (the unique index), so a
    /// repeat is decided only once the first has committed or rolled back.
    package static func claim(_ events: [UsageEventRow], on connection: any SQLConnection) throws -> Set<String> {
        var inserted = Set<String>()
        for chunk in chunks(events.count, dialect: connection.dialect) {
            var statement = RowsStatement(
                "INSERT INTO usage_events (id, customer_id, feature_key, quantity, window_start, idempotency_key, recorded_at) VALUES ")
            for event in events[chunk] {
                statement.row([
                    event.id.sqlValue, event.counter.customerID.sqlValue, event.counter.feature.rawValue.sqlValue, event.quantity.sqlValue,
                    event.counter.windowStart.sqlValue, event.idempotencyKey.sqlValue, event.recordedAt.sqlValue,
                ])
            }
            let sql = statement.sql(tail: " ON CONFLICT (customer_id, feature_key, idempotency_key) DO NOTHING RETURNING id")
            for row in try connection.query(sql) {
                inserted.insert(try row.get("id"))
            }
        }
        return inserted
    }

    /// Removes events claimed by calls that ended up counting nothing (a denied consume).
    package static func unclaim(ids: [String], on connection: any SQLConnection) throws {
        for chunk in chunks(ids.count, dialect: connection.dialect) {
            var statement = RowsStatement("DELETE FROM usage_events WHERE id IN (")
            for id in ids[chunk] { statement.value(id.sqlValue) }
            try connection.execute(statement.sql(tail: ")"))
        }
    }

    /// The usage counted in one counter, as committed now (0 when it has no row).
    package static func used(_ counter: UsageCounterKey, on connection: any SQLConnection) throws -> Int64 {
        try connection.queryFirst("""
            SELECT used FROM usage_counters
            WHERE customer_id = \(counter.customerID) AND feature_key = \(counter.feature.rawValue) AND window_start = \(counter.windowStart)
            """)?.get("used") ?? 0
    }

    /// Locks `counters` for the rest of the transaction (creating missing ones at 0) and returns what
    /// each holds: a no-op upsert, which on PostgreSQL takes the row lock (a concurrent transaction
    /// that locked it first is waited for, then its committed value read) and on SQLite runs under
    /// the transaction's write lock. Rows are locked in ``UsageCounterKey`` order.
    package static func lock(_ counters: [UsageCounterKey], on connection: any SQLConnection) throws -> [UsageCounterKey: Int64] {
        try upsert(counters.sorted().map { ($0, 0) }, update: "usage_counters.used", on: connection)
    }

    /// Adds to each counter (creating it) and returns each one's value after the addition.
    package static func add(_ deltas: [UsageCounterKey: Int64], on connection: any SQLConnection) throws -> [UsageCounterKey: Int64] {
        try upsert(deltas.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, update: "usage_counters.used + excluded.used", on: connection)
    }

    private static func upsert(
        _ rows: [(counter: UsageCounterKey, quantity: Int64)], update: String, on connection: any SQLConnection
    ) throws -> [UsageCounterKey: Int64] {
        var result: [UsageCounterKey: Int64] = [:]
        for chunk in chunks(rows.count, dialect: connection.dialect) {
            var statement = RowsStatement("INSERT INTO usage_counters (customer_id, feature_key, window_start, used) VALUES ")
            for row in rows[chunk] {
                statement.row([
                    row.counter.customerID.sqlValue, row.counter.feature.rawValue.sqlValue, row.counter.windowStart.sqlValue, row.quantity.sqlValue,
                ])
            }
            let sql = statement.sql(tail: """
                 ON CONFLICT (customer_id, feature_key, window_start) DO UPDATE SET used = \(update) \
                RETURNING customer_id, feature_key, window_start, used
                """)
            for row in try connection.query(sql) {
                guard let feature = FeatureKey(validating: try row.get("feature_key", as: String.self)) else {
                    throw StoreError(.decoding, "usage_counters.feature_key is not a feature key")
                }
                let key = UsageCounterKey(customerID: try row.get("customer_id"), feature: feature, windowStart: try row.get("window_start"))
                result[key] = try row.get("used")
            }
        }
        return result
    }
}

/// A statement built row by row: each row's values are bound, never spliced into the text.
struct RowsStatement {
    private var text: String
    private var bindings: [SQLValue] = []
    private var rows = 0

    init(_ head: String) { text = head }

    /// Appends `(…)` with a placeholder bound to each value.
    mutating func row(_ values: [SQLValue]) {
        text += rows == 0 ? "(" : ", ("
        for (index, value) in values.enumerated() {
            bindings.append(value)
            text += index == 0 ? "$\(bindings.count)" : ", $\(bindings.count)"
        }
        text += ")"
        rows += 1
    }

    mutating func value(_ value: SQLValue) {
        bindings.append(value)
        text += rows == 0 ? "$\(bindings.count)" : ", $\(bindings.count)"
        rows += 1
    }

    /// Binds one value where the text stands (outside the rows).
    mutating func bind(_ value: SQLValue) {
        bindings.append(value)
        text += "$\(bindings.count)"
    }

    mutating func append(_ more: String) { text += more }

    func sql(tail: String) -> SQL { SQL(text + tail, bindings) }
}
