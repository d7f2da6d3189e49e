package import Foundation
package import TollgateBase
import TollgateCrypto
package import TollgateStore
import TollgateWire

/// The durable log of events (docs/events.md): appended in the transaction of the change each
/// reports, published in commit order, read by position.
///
/// A change appends its events *unpublished*; ``EventPublisher`` then numbers them (``Event/position``)
/// in the order their transactions committed, one publisher at a time (the `event_log_head` row is
/// its lock). So a consumer that has read everything up to position *p* has missed nothing before
/// it, whatever transactions were still open when it read: an event becomes readable only when every
/// position before it is.
package final class EventLog: Sendable {
    private let database: any Database
    /// The highest position published that this process knows of: what consumers wait on.
    package let published = Watermark()
    /// Rung after a change that appended events commits, so the publisher runs at once.
    package let appended = WorkSignal()

    package init(database: any Database) {
        self.database = database
    }

    private static let columns = "id, type, created_at, customer, sequence, position, data"

    // MARK: Appending

    /// Appends an event inside the caller's transaction: it commits or rolls back with the change.
    /// An event about a customer takes the customer's next ``Event/sequence`` (holding its counter
    /// row until the transaction ends, so one customer's events number in commit order). Returns
    /// the event's id. The caller rings ``appended`` after commit (or the publisher finds it within
    /// its poll interval).
    @discardableResult
    package static func append(
        _ type: EventType, customer: EventCustomer?, data: JSONValue, on connection: any SQLConnection, now: Date
    ) throws -> String {
        try append(type, customer: customer, encodedData: try encode(data), on: connection, now: now)
    }

    /// ``append(_:customer:data:on:now:)`` with `data` already encoded: a JSON object, as
    /// `WireJSON` writes it (``EventData/object(_:)`` composes one from encoded members).
    @discardableResult
    package static func append(
        _ type: EventType, customer: EventCustomer?, encodedData: String, on connection: any SQLConnection, now: Date
    ) throws -> String {
        let id = "evt_" + (try SecureRandom.token(20))
        guard let customer else {
            try connection.execute("""
                INSERT INTO events (id, type, data, created_at) VALUES (\(id), \(type.rawValue), \(encodedData), \(now))
                """)
            return id
        }
        if connection.dialect == .postgres {
            // One round trip: the sequence's upsert feeds the insert.
            try connection.execute("""
                WITH next AS (
                    INSERT INTO customer_event_sequences (customer_id, sequence) VALUES (\(customer.id), 1)
                    ON CONFLICT (customer_id) DO UPDATE SET sequence = customer_event_sequences.sequence + 1
                    RETURNING sequence)
                INSERT INTO events (id, type, customer_id, customer, sequence, data, created_at)
                SELECT \(id), \(type.rawValue), \(customer.id), \(customer.externalID), next.sequence, \(encodedData), \(now) FROM next
                """)
            return id
        }
        let sequence: Int64? = try connection.queryFirst("""
            INSERT INTO customer_event_sequences (customer_id, sequence) VALUES (\(customer.id), 1)
            ON CONFLICT (customer_id) DO UPDATE SET sequence = customer_event_sequences.sequence + 1
            RETURNING sequence
            """)?.get("sequence")
        try connection.execute("""
            INSERT INTO events (id, type, customer_id, customer, sequence, data, created_at)
            VALUES (\(id), \(type.rawValue), \(customer.id), \(customer.externalID), \(sequence), \(encodedData), \(now))
            """)
        return id
    }

    /// An event about a customer whose sequence the caller's transaction holds and numbers itself
    /// (``claimableSequences(customerIDs:on:)`` gives the last values): written with others by
    /// ``append(_:sequences:on:)``.
    package struct Numbered: Sendable {
        package let id: String
        package let type: EventType
        package let customer: EventCustomer
        package let sequence: Int64
        package let encodedData: String
        package let createdAt: Date

        /// A new event (its id drawn now), numbered `sequence` among the customer's.
        package init(_ type: EventType, customer: EventCustomer, sequence: Int64, encodedData: String, createdAt: Date) throws {
            id = "evt_" + (try SecureRandom.token(20))
            self.type = type
            self.customer = customer
            self.sequence = sequence
            self.encodedData = encodedData
            self.createdAt = createdAt
        }
    }

    /// Appends `events`, numbered by the caller (whose transaction holds their customers' sequence
    /// rows), in their order, and sets each customer's sequence to `sequences`' value: one
    /// multi-row `INSERT` per chunk and one `UPDATE` — as many ``append(_:customer:encodedData:on:now:)``
    /// calls would, in two statements instead of two (or one) per event.
    package static func append(_ events: [Numbered], sequences: [String: Int64], on connection: any SQLConnection) throws {
        guard !events.isEmpty else { return }
        for range in connection.dialect.rowChunks(events.count) {
            var bindings: [SQLValue] = []
            var rows: [String] = []
            for event in events[range] {
                bindings += [
                    .text(event.id), .text(event.type.rawValue), .text(event.customer.id), .text(event.customer.externalID),
                    .integer(event.sequence), .text(event.encodedData), .timestamp(event.createdAt),
                ]
                let n = bindings.count
                rows.append("(" + (n - 6...n).map { "$\($0)" }.joined(separator: ", ") + ")")
            }
            try connection.execute(SQL("""
                INSERT INTO events (id, type, customer_id, customer, sequence, data, created_at) VALUES \(rows.joined(separator: ", "))
                """, bindings))
        }
        let customers = Set(events.map(\.customer.id)).sorted()
        for range in connection.dialect.rowChunks(customers.count) {
            var bindings: [SQLValue] = []
            var rows: [String] = []
            for customer in customers[range] {
                bindings += [.text(customer), .integer(sequences[customer] ?? 0)]
                // PostgreSQL types a VALUES list's parameters as text: the sequence says what it is.
                rows.append(connection.dialect == .postgres ? "($\(bindings.count - 1), CAST($\(bindings.count) AS BIGINT))" : "($\(bindings.count - 1), $\(bindings.count))")
            }
            try connection.execute(SQL("""
                UPDATE customer_event_sequences SET sequence = v.column2 FROM (VALUES \(rows.joined(separator: ", "))) AS v
                WHERE customer_event_sequences.customer_id = v.column1
                """, bindings))
        }
    }

    /// Makes sure each customer has an event sequence row (so that it can be claimed).
    package static func claimSequences(customerIDs: [String], on connection: any SQLConnection) throws {
        guard !customerIDs.isEmpty else { return }
        let rows = customerIDs.indices.map { "($\($0 + 1), 0)" }.joined(separator: ", ")
        try connection.execute(SQL(
            "INSERT INTO customer_event_sequences (customer_id, sequence) VALUES \(rows) ON CONFLICT (customer_id) DO NOTHING",
            customerIDs.map(\.sqlValue)))
    }

    /// Those of `customerIDs` whose event sequence this transaction now holds, passing over the
    /// ones another open transaction holds (`FOR UPDATE SKIP LOCKED`; on SQLite, the one writer,
    /// all of them): work that appends for them can then never wait on a change of theirs.
    /// Returns each one's last sequence number, which stays this transaction's to give.
    package static func claimableSequences(customerIDs: [String], on connection: any SQLConnection) throws -> [String: Int64] {
        guard !customerIDs.isEmpty else { return [:] }
        let list = customerIDs.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
        let rows = try connection.query(SQL(
            "SELECT customer_id, sequence FROM customer_event_sequences WHERE customer_id IN (\(list))" + connection.dialect.claimRowsClause,
            customerIDs.map(\.sqlValue)))
        var claimed: [String: Int64] = [:]
        for row in rows { claimed[try row.get("customer_id")] = try row.get("sequence") }
        return claimed
    }

    static func encode(_ data: JSONValue) throws -> String {
        String(decoding: try WireJSON.encoder(keys: .verbatim).encode(data), as: UTF8.self)
    }

    // MARK: Publishing

    /// Numbers the events committed since the last call, in the order they were appended (which,
    /// for one customer, is commit order), at most `limit` of them; returns the new head, or nil
    /// when there was nothing to publish.
    package func publish(limit: Int = 1000) throws -> Int64? {
        let head: Int64? = try database.transaction { connection in
            // The head row is the publishers' lock: one at a time, across instances.
            try connection.execute("UPDATE event_log_head SET position = position WHERE id = 1")
            let head: Int64 = try connection.queryFirst("SELECT position FROM event_log_head WHERE id = 1")?.get("position") ?? 0
            let numbered = try connection.execute("""
                UPDATE events SET position = \(head) + r.n
                FROM (SELECT local_id, row_number() OVER (ORDER BY local_id) AS n
                      FROM events WHERE position IS NULL ORDER BY local_id LIMIT \(limit)) AS r
                WHERE events.local_id = r.local_id
                """)
            guard numbered > 0 else { return nil }
            let newHead = head + Int64(numbered)
            try connection.execute("UPDATE event_log_head SET position = \(newHead) WHERE id = 1")
            return newHead
        }
        if let head { published.advance(to: head) }
        return head
    }

    // MARK: Reading

    /// Published events after `position`, oldest first, at most `limit`, matching `filter`.
    package func read(after position: Int64, limit: Int, filter: EventFilter = .all) throws -> [Event] {
        var sql: SQL = "SELECT \(raw: Self.columns) FROM events WHERE position > \(position)"
        if let customer = filter.customer {
            sql.bindings.append(customer.sqlValue)
            sql.text += " AND customer = $\(sql.bindings.count)"
        }
        if let types = filter.types {
            guard !types.isEmpty else { return [] }
            // The names are the enum's own constants, never input.
            sql.text += " AND type IN (" + types.sorted().map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
        }
        sql.text += " ORDER BY position LIMIT \(max(0, limit))"
        return try database.withConnection { connection in try connection.query(sql).map(Self.event(from:)) }
    }

    /// The published event with this id, or nil.
    package func event(id: String) throws -> Event? {
        try database.withConnection { connection in
            try connection.queryFirst("SELECT \(raw: Self.columns) FROM events WHERE id = \(id) AND position IS NOT NULL").map(Self.event(from:))
        }
    }

    /// The highest published position (0 before the first), read from the store; also raises
    /// ``published`` (another instance, or the CLI, may have published).
    @discardableResult
    package func head() throws -> Int64 {
        let head: Int64 = try database.withConnection { connection in
            try connection.queryFirst("SELECT position FROM event_log_head WHERE id = 1")?.get("position") ?? 0
        }
        published.advance(to: head)
        return head
    }

    /// The lowest position still kept (retention purges older ones); nil when the log is empty.
    package func oldestPosition() throws -> Int64? {
        try database.withConnection { connection in
            try connection.queryFirst("SELECT min(position) AS oldest FROM events WHERE position IS NOT NULL")?.get("oldest")
        }
    }

    /// Removes published events created before `instant`; returns how many. The head stays, so
    /// positions are never reused.
    @discardableResult
    package func purge(before instant: Date) throws -> Int {
        try database.transaction { connection in
            try connection.execute("DELETE FROM events WHERE created_at < \(instant) AND position IS NOT NULL")
        }
    }

    static func event(from row: Row) throws -> Event {
        let typeName: String = try row.get("type")
        guard let type = EventType(rawValue: typeName) else { throw StoreError(.decoding, "unknown event type \(typeName)") }
        let text: String = try row.get("data")
        guard let data = JSONValue.parse(Array(text.utf8)) else { throw StoreError(.decoding, "event data is not JSON") }
        return Event(
            id: try row.get("id"), type: type, createdAt: try row.get("created_at"), customer: try row.get("customer"),
            sequence: try row.get("sequence"), position: try row.get("position"), data: data)
    }
}
