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
