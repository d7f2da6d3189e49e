import Foundation
import Tollgate
package import TollgateBase
import TollgateEvents
package import TollgateStore
import TollgateWire

/// The events the domain's writes append, each in the transaction of its change: the one place
/// that says which change is which event and what its `data` holds (docs/events.md shows each).
/// `data.object` is the changed object as the API shows it.
package enum DomainEvents {
    /// An API representation as event data (`WireJSON`, the API's own encoding).
    package static func encode(_ value: some Encodable) throws -> JSONValue {
        guard let json = JSONValue.parse(Array(try WireJSON.encoder().encode(value))) else {
            throw DomainError.invalid("event", "not JSON")
        }
        return json
    }

    /// Those of `customerIDs` whose event sequence this transaction now holds, passing over those
    /// another open transaction holds (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: all) — for
    /// work that would rather leave a customer for later than wait for its holder: the entitlement
    /// scheduler's evaluation, and the Stripe applier's batch while the scheduler evaluates one.
    /// A customer without a sequence row gets one first; rows that exist are never inserted again
    /// (an `INSERT … ON CONFLICT DO NOTHING` would wait for a holder that changed the row).
    /// Returns each claimed customer's last sequence number (``DeferredWrites`` numbers from it).
    package static func claimSequences(customerIDs: [String], on connection: any SQLConnection) throws -> [String: Int64] {
        let ids = Array(Set(customerIDs)).sorted()
        guard !ids.isEmpty else { return [:] }
        var claimed = try EventLog.claimableSequences(customerIDs: ids, on: connection)
        let rest = ids.filter { claimed[$0] == nil }
        guard !rest.isEmpty else { return claimed }
        let list = rest.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
        let existing = Set(try connection.query(SQL(
            "SELECT customer_id FROM customer_event_sequences WHERE customer_id IN (\(list))", rest.map(\.sqlValue)
        )).map { try $0.get("customer_id") as String })
        let missing = rest.filter { !existing.contains($0) }
        guard !missing.isEmpty else { return claimed }
        try EventLog.claimSequences(customerIDs: missing, on: connection)
        claimed.merge(try EventLog.claimableSequences(customerIDs: missing, on: connection)) { _, new in new }
        return claimed
    }

    static func customerRef(_ customer: Customer) -> EventCustomer {
        EventCustomer(id: customer.id, externalID: customer.externalID)
    }

    /// `customer.created` or `customer.updated`.
    static func customerWritten(_ customer: Customer, created: Bool, on connection: any SQLConnection, now: Date) throws {
        try EventLog.append(
            created ? .customerCreated : .customerUpdated, customer: customerRef(customer),
            encodedData: EventData.object(["object": try EventData.encoded(customer)]), on: connection, now: now)
    }

    /// `customer.deleted`: Stripe deleted the Stripe customer this customer was linked to. Tollgate
    /// keeps the customer (its history, usage and grants), unlinked; `data.stripe_customer_id` is the
    /// deleted one.
    static func customerDeleted(_ customer: Customer, stripeCustomerID: String, on connection: any SQLConnection, now: Date) throws {
        try EventLog.append(
            .customerDeleted, customer: customerRef(customer),
            encodedData: EventData.object(["object": try EventData.encoded(customer), "stripe_customer_id": JSONString.quoted(stripeCustomerID)]),
            on: connection, now: now)
    }

    /// `subscription.created` (the customer had none), `subscription.canceled` (it entered
    /// `canceled`) or `subscription.updated`; `data.previous` is the state before (absent on created).
    /// `deferred`: held there until its flush (the transaction holds the customer's sequence).
    static func subscriptionWritten(_ write: SubscriptionWrite, deferred: DeferredWrites? = nil, on connection: any SQLConnection, now: Date) throws {
        let type: EventType
        if write.previous == nil {
            type = .subscriptionCreated
        } else if write.saved.state.status == .canceled, write.previous?.status != .canceled {
            type = .subscriptionCanceled
        } else {
            type = .subscriptionUpdated
        }
        var data = ["object": write.saved.wireJSON]
        if let previous = write.previous { data["previous"] = previous.wireJSON }
        let encoded = EventData.object(data)
        if let deferred, try deferred.append(type, customer: customerRef(write.customer), encodedData: encoded, now: now) { return }
        try EventLog.append(type, customer: customerRef(write.customer), encodedData: encoded, on: connection, now: now)
    }

    /// `grant.created`, `grant.revoked` or `grant.expired`; `data.object` is the grant.
    static func grant(_ type: EventType, _ grant: Grant, customer: EventCustomer, on connection: any SQLConnection, now: Date) throws {
        try EventLog.append(type, customer: customer, encodedData: EventData.object(["object": try EventData.encoded(grant)]), on: connection, now: now)
    }

    /// `seats.assigned` or `seats.released`: the member, the feature, how many hold a seat after the
    /// change and the limit (`null` when not entitled). `seats.over_limit` is ``SeatLimits``'.
    static func seat(
        _ type: EventType, member: String, feature: FeatureKey, assigned: Int64, limit: EntitlementValue?, customer: EventCustomer,
        on connection: any SQLConnection, now: Date
    ) throws {
        try EventLog.append(type, customer: customer, data: .object([
            "member": .string(member), "feature": .string(feature.rawValue), "assigned": .integer(Int(assigned)),
            "limit": try limit.map(encode) ?? .null,
        ]), on: connection, now: now)
    }
}
