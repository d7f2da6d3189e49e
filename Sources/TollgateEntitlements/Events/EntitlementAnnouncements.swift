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
/// customer may do marks them due, in its own transaction (``markDue(customerID:externalID:on:now:)``);
/// ``EntitlementService/announceDue(now:limit:)`` then evaluates them and appends the event when
/// the announced state differs. Changes and time passing take the same path, so the rule of what
/// counts as a change is in one place.
package enum EntitlementAnnouncements {
    /// How long after a change its customer is evaluated: the changes of a burst (a Stripe
    /// subscription's events, a batch of grants) are announced by one evaluation.
    package static let settle: TimeInterval = 0.025

    /// Marks the customer due for evaluation ``settle`` after `now` (or keeps an earlier instant it
    /// is due at); commits or rolls back with the caller's change. A write marks the customer due
    /// before it appends the customer's events (the announcement row before the sequence row: one
    /// order for every writer).
    package static func markDue(customerID: String, externalID: String, on connection: any SQLConnection, now: Date) throws {
        let due = now.addingTimeInterval(settle)
        try connection.execute("""
            INSERT INTO entitlement_announcements (customer_id, customer, features, etag, next_change_at, evaluated_at)
            VALUES (\(customerID), \(externalID), '', '', \(due), \(now))
            ON CONFLICT (customer_id) DO UPDATE SET next_change_at = CASE
                WHEN entitlement_announcements.next_change_at IS NOT NULL AND entitlement_announcements.next_change_at < excluded.next_change_at
                THEN entitlement_announcements.next_change_at ELSE excluded.next_change_at END
            """)
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
