package import Foundation
package import Tollgate
import TollgateEvents
package import TollgateStore
import TollgateBase
import TollgateWire

/// What `entitlements.updated` tells of one feature: what changed when any of these did. Usage
/// within a window is not part of it (usage has its own events); the window is.
package struct AnnouncedEntitlement: Sendable, Codable, Equatable {
    package var value: EntitlementValue?
    package var source: EntitlementSource
    package var denial: DenialReason?
    /// Metered features: the current window's start and end (a reset is a change).
    package var windowStart: Date?
    package var resetsAt: Date?

    enum CodingKeys: String, CodingKey {
        case value, source, denial, windowStart, resetsAt
    }

    /// Every field, a missing one as `null` (a consumer reads `"value": null` as "not entitled").
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(value, forKey: .value)
        try container.encode(source, forKey: .source)
        try container.encode(denial, forKey: .denial)
        try container.encode(windowStart, forKey: .windowStart)
        try container.encode(resetsAt, forKey: .resetsAt)
    }

    init(_ entitlement: FeatureEntitlement) {
        value = entitlement.value
        source = entitlement.source
        denial = entitlement.denial
        windowStart = entitlement.windowStart
        resetsAt = entitlement.resetsAt
    }
}

/// The bookkeeping of `entitlements.updated` (table `entitlement_announcements`): what was last
/// announced of each customer and when to evaluate them next. A write that may change what a
/// customer may do marks them due, in its own transaction (``markDue(customerID:externalID:deferred:on:now:)``:
/// one row inserted in `entitlement_announcement_due`, so the write never waits on a row a scheduler
/// holds); ``EntitlementService/announceDue(now:limit:)`` folds those rows into the customers'
/// `next_change_at` (``foldDue(limit:on:)``), then evaluates the customers due and appends the
/// event when the announced state differs. Changes and time passing take the same path, so the
/// rule of what counts as a change is in one place.
package enum EntitlementAnnouncements {
    /// How long after a change its customer is evaluated: the changes of a burst (a Stripe
    /// subscription's events, a batch of grants) are announced by one evaluation.
    package static let settle: TimeInterval = 0.025

    /// Marks the customer due for evaluation ``settle`` after `now`; commits or rolls back with the
    /// caller's change. An insert only (`entitlement_announcement_due`): it takes no lock another
    /// writer or a scheduler could hold, so it never waits and is in no lock order.
    /// `deferred`: held there until its flush.
    package static func markDue(customerID: String, externalID: String, deferred: DeferredWrites? = nil, on connection: any SQLConnection, now: Date) throws {
        if let deferred, deferred.markDue(customerID: customerID, externalID: externalID, dueAt: now.addingTimeInterval(settle)) { return }
        try connection.execute("""
            INSERT INTO entitlement_announcement_due (customer_id, customer, due_at)
            VALUES (\(customerID), \(externalID), \(now.addingTimeInterval(settle)))
            """)
    }

    /// One customer's evaluation: what is announced now (encoded) and when to evaluate it next.
    typealias Evaluation = (customerID: String, features: String, nextChange: Date?)

    /// Records the scheduler's evaluations made at `now` (``EntitlementService/announceDue(now:limit:)``),
    /// one `UPDATE … FROM (VALUES …)` per chunk instead of one statement per customer.
    static func record(_ evaluations: [Evaluation], at now: Date, on connection: any SQLConnection) throws {
        // PostgreSQL types a VALUES list's parameters as text: the instant says what it is.
        let instant = connection.dialect == .postgres ? "CAST(v.column3 AS timestamptz)" : "v.column3"
        for range in UsageRepository.chunks(evaluations.count, dialect: connection.dialect) {
            var update = RowsStatement("UPDATE entitlement_announcements SET features = v.column2, next_change_at = \(instant), evaluated_at = ")
            update.bind(.timestamp(now))
            update.append(" FROM (VALUES ")
            for evaluation in evaluations[range] {
                update.row([.text(evaluation.customerID), .text(evaluation.features), evaluation.nextChange.map(SQLValue.timestamp) ?? .null])
            }
            try connection.execute(update.sql(tail: ") AS v WHERE entitlement_announcements.customer_id = v.column1"))
        }
    }

    /// The marks a ``DeferredWrites`` held, in one statement per chunk.
    static func markDue(_ marks: [(customerID: String, externalID: String, dueAt: Date)], on connection: any SQLConnection) throws {
        for range in UsageRepository.chunks(marks.count, dialect: connection.dialect) {
            var insert = RowsStatement("INSERT INTO entitlement_announcement_due (customer_id, customer, due_at) VALUES ")
            for mark in marks[range] { insert.row([.text(mark.customerID), .text(mark.externalID), .timestamp(mark.dueAt)]) }
            try connection.execute(insert.sql(tail: ""))
        }
    }

    /// Folds up to `limit` marks of ``markDue(customerID:externalID:deferred:on:now:)`` (oldest first) into
    /// the customers' announcement rows — `next_change_at` becomes the earlier of its own and the
    /// mark's; a customer without a row gets one, evaluated as of its first mark's write — and
    /// deletes them; returns how many were folded. Inside its own transaction, before the
    /// scheduler claims what is due: a mark is visible only once its write committed, and is
    /// deleted in the transaction that makes the customer due, so every committed change is
    /// evaluated after it. The marks are claimed `FOR UPDATE SKIP LOCKED` (PostgreSQL: two
    /// schedulers fold different ones), and the announcement rows written in customer order (two
    /// folds never deadlock; a fold may wait for an evaluation that holds a row, never the reverse).
    @discardableResult
    package static func foldDue(limit: Int, on connection: any SQLConnection) throws -> Int {
        let marks = try connection.query("""
            SELECT id, customer_id, customer, due_at FROM entitlement_announcement_due ORDER BY id LIMIT \(limit)\(raw: connection.dialect.claimRowsClause)
            """)
        guard !marks.isEmpty else { return 0 }
        var earliest: [String: (customer: String, due: Date)] = [:]
        var ids: [Int64] = []
        for mark in marks {
            ids.append(try mark.get("id"))
            let customerID: String = try mark.get("customer_id")
            let due: Date = try mark.get("due_at")
            if let known = earliest[customerID], known.due <= due { continue }
            earliest[customerID] = (try mark.get("customer"), due)
        }
        let customers = earliest.keys.sorted()
        for range in UsageRepository.chunks(customers.count, dialect: connection.dialect) {
            var statement = RowsStatement(
                "INSERT INTO entitlement_announcements (customer_id, customer, features, etag, next_change_at, evaluated_at) VALUES ")
            for customerID in customers[range] {
                let mark = earliest[customerID]!
                statement.row([
                    customerID.sqlValue, mark.customer.sqlValue, "".sqlValue, "".sqlValue, .timestamp(mark.due),
                    .timestamp(mark.due.addingTimeInterval(-settle)),
                ])
            }
            try connection.execute(statement.sql(tail: """
                 ON CONFLICT (customer_id) DO UPDATE SET next_change_at = CASE
                    WHEN entitlement_announcements.next_change_at IS NOT NULL AND entitlement_announcements.next_change_at < excluded.next_change_at
                    THEN entitlement_announcements.next_change_at ELSE excluded.next_change_at END
                """))
        }
        for range in UsageRepository.chunks(ids.count, dialect: connection.dialect) {
            var statement = RowsStatement("DELETE FROM entitlement_announcement_due WHERE id IN (")
            for id in ids[range] { statement.value(.integer(id)) }
            try connection.execute(statement.sql(tail: ")"))
        }
        return marks.count
    }

    /// Marks every customer due (the catalog changed).
    static func markAllDue(on connection: any SQLConnection, now: Date) throws {
        try connection.execute("""
            INSERT INTO entitlement_announcements (customer_id, customer, features, etag, next_change_at, evaluated_at)
            SELECT id, external_id, '', '', \(now), \(now) FROM customers WHERE true
            ON CONFLICT (customer_id) DO UPDATE SET next_change_at = CASE
                WHEN entitlement_announcements.next_change_at IS NOT NULL AND entitlement_announcements.next_change_at < excluded.next_change_at
                THEN entitlement_announcements.next_change_at ELSE excluded.next_change_at END
            """)
    }

    /// The stored (and compared) form: the bytes `WireJSON.encoder()` writes for `features`,
    /// written directly — the scheduler encodes every customer it evaluates, and comparing texts
    /// spares decoding the stored state unless it changed. `AnnouncementTextTests` holds the two
    /// to the same bytes.
    /// Marks due every customer never evaluated (those that existed before the event log, or were
    /// written by a version without it), so that time-based changes are announced for them too.
    /// Their first evaluation announces their whole state. Returns how many were marked.
    @discardableResult
    package static func markUnannounced(on connection: any SQLConnection, now: Date) throws -> Int {
        try connection.execute("""
            INSERT INTO entitlement_announcements (customer_id, customer, features, etag, next_change_at, evaluated_at)
            SELECT c.id, c.external_id, '', '', \(now), \(now) FROM customers c
            WHERE NOT EXISTS (SELECT 1 FROM entitlement_announcements a WHERE a.customer_id = c.id)
            ON CONFLICT (customer_id) DO NOTHING
            """)
    }

    static func encode(_ features: [String: AnnouncedEntitlement]) -> String {
        var out = "{"
        for (index, key) in features.keys.sorted().enumerated() {
            let feature = features[key]!
            if index > 0 { out += "," }
            JSONString.append(key, to: &out)
            out += ":{\"denial\":"
            if let denial = feature.denial { JSONString.append(denial.rawValue, to: &out) } else { out += "null" }
            out += ",\"resets_at\":"
            out += feature.resetsAt.map { "\"\(WireJSON.instant($0))\"" } ?? "null"
            out += ",\"source\":\"\(feature.source.rawValue)\",\"value\":"
            switch feature.value {
            case nil: out += "null"
            case .enabled?: out += "true"
            case .limit(let number)?: out += String(number)
            case .unlimited?: out += "\"unlimited\""
            }
            out += ",\"window_start\":"
            out += feature.windowStart.map { "\"\(WireJSON.instant($0))\"" } ?? "null"
            out += "}"
        }
        return out + "}"
    }

    static func decode(_ text: String) -> [String: AnnouncedEntitlement]? {
        guard !text.isEmpty else { return nil }
        return try? WireJSON.decoder().decode([String: AnnouncedEntitlement].self, from: Data(text.utf8))
    }
}
