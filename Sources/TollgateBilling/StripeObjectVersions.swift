import Foundation
import TollgateStore
import TollgateStripe

/// The ordering guard's store (`stripe_object_versions`): per Stripe object (or ordering key), the
/// `created` and id of the newest event applied to it. The applier and `stripe sync` both order
/// their writes through ``order(_:object:on:)``.
enum StripeObjectVersions {
    /// What the ordering guard found for one event and object.
    enum Verdict: Equatable {
        /// The event is the newest the object has seen; it is now recorded as such.
        case newest
        /// Another event of the same second was applied to the object (`created` cannot order them).
        case sameSecond(String)
        /// A newer event (its id) was applied to the object.
        case stale(String)
    }

    /// The ordering guard, inside the event's transaction: records `event` as the newest applied to
    /// `object` unless an event at least as new was applied already. The upsert holds the object's
    /// row until commit, so two appliers order their events for one object.
    static func order(_ event: WebhookEvent, object: String, on connection: any SQLConnection) throws -> Verdict {
        let recorded = try connection.queryFirst("""
            INSERT INTO stripe_object_versions (object_id, last_event_created, last_event_id)
            VALUES (\(object), \(event.createdDate), \(event.id))
            ON CONFLICT (object_id) DO UPDATE SET last_event_created = excluded.last_event_created, last_event_id = excluded.last_event_id
            WHERE stripe_object_versions.last_event_created < excluded.last_event_created
                OR stripe_object_versions.last_event_id = excluded.last_event_id
            RETURNING object_id
            """)
        guard recorded == nil else { return .newest }
        guard let row = try connection.queryFirst("SELECT last_event_created, last_event_id FROM stripe_object_versions WHERE object_id = \(object)")
        else { return .newest }
        let other: String = try row.get("last_event_id")
        guard try row.get("last_event_created", as: Date.self) == event.createdDate else { return .stale(other) }
        try connection.execute("UPDATE stripe_object_versions SET last_event_id = \(event.id) WHERE object_id = \(object)")
        return .sameSecond(other)
    }

    /// The guard of a batch transaction's events (the applier's lanes), in a statement at its start
    /// and one (or two) at its end instead of one or three per event: ``init(objects:on:)`` holds
    /// every object of the batch and reads its version, ``order(_:object:)`` decides in memory
    /// exactly as ``order(_:object:on:)`` would in the store, and ``flush(on:)`` writes the new versions.
    final class Batch {
        /// The version of each held object (nil: it had none, a placeholder row holds its place).
        private var versions: [String: (created: Date, id: String)?] = [:]
        private var changed: Set<String> = []
        /// A placeholder's values: older than any event, and no event's id.
        private static let placeholder = (created: Date(timeIntervalSince1970: 0), id: "")

        /// Holds `objects`' rows until the transaction ends — inserting a placeholder for an object
        /// that has none, so that another applier's event of a new object waits for this batch as
        /// it would for ``order(_:object:on:)``'s insert — and reads their versions. One statement,
        /// objects in sorted order (two batches never deadlock over them).
        init(objects: [String], on connection: any SQLConnection) throws {
            let objects = Array(Set(objects)).sorted()
            for range in connection.dialect.rowChunks(objects.count) {
                var bindings: [SQLValue] = [.timestamp(Self.placeholder.created), .text(Self.placeholder.id)]
                var rows: [String] = []
                for object in objects[range] {
                    bindings.append(.text(object))
                    rows.append("($\(bindings.count), $1, $2)")
                }
                let held = try connection.query(SQL("""
                    INSERT INTO stripe_object_versions (object_id, last_event_created, last_event_id) VALUES \(rows.joined(separator: ", "))
                    ON CONFLICT (object_id) DO UPDATE SET last_event_id = stripe_object_versions.last_event_id
                    RETURNING object_id, last_event_created, last_event_id
                    """, bindings))
                for row in held {
                    let id: String = try row.get("last_event_id")
                    versions[try row.get("object_id")] = id == Self.placeholder.id ? .some(nil) : (try row.get("last_event_created"), id)
                }
            }
        }

        /// ``order(_:object:on:)``'s verdict for an object this batch holds; nil for any other.
        func order(_ event: WebhookEvent, object: String) -> Verdict? {
            guard let version = versions[object] else { return nil }
            if let version, version.id != event.id, version.created >= event.createdDate {
                guard version.created == event.createdDate else { return .stale(version.id) }
                versions[object] = (version.created, event.id)
                changed.insert(object)
                return .sameSecond(version.id)
            }
            versions[object] = (event.createdDate, event.id)
            changed.insert(object)
            return .newest
        }

        /// Writes the versions the batch's events set (one `UPDATE … FROM (VALUES …)`), and removes
        /// the placeholders no event replaced.
        func flush(on connection: any SQLConnection) throws {
            var written: [(object: String, created: Date, id: String)] = []
            var unused: [String] = []
            for (object, version) in versions.sorted(by: { $0.key < $1.key }) {
                if let version, changed.contains(object) {
                    written.append((object, version.created, version.id))
                } else if version == nil {
                    unused.append(object)
                }
            }
            changed = []
            // PostgreSQL types a VALUES list's parameters as text: the instant says what it is.
            let instant = connection.dialect == .postgres ? "CAST(v.column2 AS timestamptz)" : "v.column2"
            for range in connection.dialect.rowChunks(written.count) {
                var bindings: [SQLValue] = []
                var rows: [String] = []
                for version in written[range] {
                    bindings += [.text(version.object), .timestamp(version.created), .text(version.id)]
                    rows.append("($\(bindings.count - 2), $\(bindings.count - 1), $\(bindings.count))")
                }
                try connection.execute(SQL("""
                    UPDATE stripe_object_versions SET last_event_created = \(instant), last_event_id = v.column3
                    FROM (VALUES \(rows.joined(separator: ", "))) AS v WHERE stripe_object_versions.object_id = v.column1
                    """, bindings))
            }
            for range in connection.dialect.rowChunks(unused.count) {
                let list = unused[range].indices.map { "$\($0 - range.lowerBound + 2)" }.joined(separator: ", ")
                try connection.execute(SQL(
                    "DELETE FROM stripe_object_versions WHERE last_event_id = $1 AND object_id IN (\(list))",
                    [.text(Self.placeholder.id)] + unused[range].map(SQLValue.text)))
            }
            for object in unused { versions[object] = nil }
        }
    }
}

/// The latest entitlement summary per Stripe customer (`stripe_entitlement_summaries`).
enum StripeEntitlementSummaries {
    /// Keeps `summary` (the event's object, as JSON) as the customer's latest.
    static func save(stripeCustomerID: String, summary: String, eventID: String, on connection: any SQLConnection, now: Date) throws {
        try connection.execute("""
            INSERT INTO stripe_entitlement_summaries (stripe_customer_id, summary, event_id, updated_at)
            VALUES (\(stripeCustomerID), \(summary), \(eventID), \(now))
            ON CONFLICT (stripe_customer_id) DO UPDATE SET summary = excluded.summary, event_id = excluded.event_id,
                updated_at = excluded.updated_at
            """)
    }
}
