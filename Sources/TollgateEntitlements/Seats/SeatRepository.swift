package import Foundation
package import Tollgate
import TollgateBase
import TollgateEvents
import TollgateStore

/// Seats of customers' limit features (docs/seats.md): members assigned, released and listed, the
/// limit enforced under concurrency, and the check for a member.
///
/// Every assignment and release of a customer's feature first locks its `seat_limits` row
/// (PostgreSQL's `FOR UPDATE`; SQLite's one writer), then evaluates the limit in that transaction,
/// so concurrent assigners — on any number of instances — are decided one at a time and the
/// holders never exceed the limit through an assignment. A limit that falls below the holders is
/// reported (``SeatUse/overLimit``, `seats.over_limit`), never resolved by releasing anyone.
package struct SeatRepository: Sendable {
    let entitlements: EntitlementService

    package init(entitlements: EntitlementService) {
        self.entitlements = entitlements
    }

    /// Assigns `member` a seat of `feature`. A member who holds one already keeps it (nothing
    /// changes, `created` is false). Refused with `limit_exceeded` when every seat is held.
    package func assign(customer externalID: String, feature: FeatureKey, member: String, now: Date = Date()) throws -> SeatAssignment {
        let member = try SeatMember.validated(member)
        let outcome = try entitlements.database.transaction { connection -> SeatAssignment in
            let customer = try Self.subject(externalID, feature, on: connection, entitlements: entitlements)
            let assigned = try Self.lock(customerID: customer.id, feature: feature, on: connection)
            if let held: Date = try connection.queryFirst("""
                SELECT assigned_at FROM seat_assignments WHERE customer_id = \(customer.id) AND feature_key = \(feature.rawValue) AND member = \(member)
                """)?.get("assigned_at") {
                let limit = try Self.limit(externalID, feature, on: connection, entitlements: entitlements, now: now)
                return SeatAssignment(
                    customer: externalID, feature: feature, member: member, assignedAt: held, created: false, assigned: assigned, limit: limit)
            }
            let limit = try Self.limit(externalID, feature, on: connection, entitlements: entitlements, now: now)
            switch limit {
            case .unlimited?, .enabled?: break
            case .limit(let number)?:
                guard assigned < number else { throw DomainError.seatLimitExceeded(feature: feature.rawValue, limit: number, assigned: assigned) }
            case nil:
                throw DomainError.seatLimitExceeded(feature: feature.rawValue, limit: nil, assigned: assigned)
            }
            try connection.execute("""
                INSERT INTO seat_assignments (customer_id, feature_key, member, assigned_at)
                VALUES (\(customer.id), \(feature.rawValue), \(member), \(now))
                """)
            try connection.execute("""
                UPDATE seat_limits SET assigned = assigned + 1 WHERE customer_id = \(customer.id) AND feature_key = \(feature.rawValue)
                """)
            // Every seat write marks the customer due: a limit lowered by a change that commits
            // while this one is open is caught when the scheduler evaluates them after both
            // (``SeatLimits``), and that evaluation never finds their seat row locked.
            try EntitlementAnnouncements.markDue(customerID: customer.id, externalID: externalID, on: connection, now: now)
            try DomainEvents.seat(.seatsAssigned, member: member, feature: feature, assigned: assigned + 1, limit: limit,
                                  customer: DomainEvents.customerRef(customer), on: connection, now: now)
            return SeatAssignment(
                customer: externalID, feature: feature, member: member, assignedAt: SQLTimestamp.stored(now), created: true,
                assigned: assigned + 1, limit: limit)
        }
        if outcome.created { entitlements.invalidate(customer: externalID) }
        return outcome
    }

    /// Releases `member`'s seat of `feature`; `not_found` when the member holds none. Bringing the
    /// holders back within the limit ends an over-limit crossing (``SeatLimits``: the next one is
    /// announced again).
    @discardableResult
    package func release(customer externalID: String, feature: FeatureKey, member: String, now: Date = Date()) throws -> SeatHolder {
        let member = try SeatMember.validated(member)
        let released = try entitlements.database.transaction { connection -> SeatHolder in
            let customer = try Self.subject(externalID, feature, on: connection, entitlements: entitlements)
            let assigned = try Self.lock(customerID: customer.id, feature: feature, on: connection)
            guard let row = try connection.queryFirst("""
                DELETE FROM seat_assignments WHERE customer_id = \(customer.id) AND feature_key = \(feature.rawValue) AND member = \(member)
                RETURNING assigned_at
                """) else {
                throw DomainError.notFound("seat of \(feature) held by \(member)")
            }
            try connection.execute("""
                UPDATE seat_limits SET assigned = assigned - 1 WHERE customer_id = \(customer.id) AND feature_key = \(feature.rawValue)
                """)
            let limit = try Self.limit(externalID, feature, on: connection, entitlements: entitlements, now: now)
            try EntitlementAnnouncements.markDue(customerID: customer.id, externalID: externalID, on: connection, now: now)
            try DomainEvents.seat(.seatsReleased, member: member, feature: feature, assigned: assigned - 1, limit: limit,
                                  customer: DomainEvents.customerRef(customer), on: connection, now: now)
            return SeatHolder(member: member, assignedAt: try row.get("assigned_at"))
        }
        entitlements.invalidate(customer: externalID)
        return released
    }

    /// The holders of `feature`, by member id, after `page.startingAfter` (a member id), with the limit.
    package func list(customer externalID: String, feature: FeatureKey, page: PageRequest, now: Date = Date()) throws -> SeatListing {
        try entitlements.database.withConnection { connection in
            let customer = try Self.subject(externalID, feature, on: connection, entitlements: entitlements)
            let assigned: Int64 = try connection.queryFirst("""
                SELECT assigned FROM seat_limits WHERE customer_id = \(customer.id) AND feature_key = \(feature.rawValue)
                """)?.get("assigned") ?? 0
            let rows = try connection.query("""
                SELECT member, assigned_at FROM seat_assignments
                WHERE customer_id = \(customer.id) AND feature_key = \(feature.rawValue) AND (CAST(\(page.startingAfter) AS TEXT) IS NULL OR member > \(page.startingAfter))
                ORDER BY member LIMIT \(page.limit + 1)
                """)
            let limit = try Self.limit(externalID, feature, on: connection, entitlements: entitlements, now: now)
            return SeatListing(
                customer: externalID, feature: feature, limit: limit, assigned: assigned,
                overLimit: SeatUse(assigned: assigned, value: limit).overLimit,
                data: try rows.prefix(page.limit).map { SeatHolder(member: try $0.get("member"), assignedAt: try $0.get("assigned_at")) },
                hasMore: rows.count > page.limit)
        }
    }

    /// The check for a member: allowed iff the customer is entitled to `feature` and `member` holds
    /// one of its seats (else the entitlement's denial, or ``DenialReason/notAssigned``). A holder
    /// stays allowed while the customer is over the limit: the SaaS decides whom to release.
    package func check(customer externalID: String, feature: FeatureKey, member: String) throws -> CheckResult {
        let member = try SeatMember.validated(member)
        let snapshot = try entitlements.snapshot(customer: externalID)
        guard let entitlement = snapshot.entitlements[feature] else { throw DomainError.unknownFeature(feature.rawValue) }
        guard entitlement.kind == .limit else { throw DomainError.invalid("member", "only a limit feature has seats; \(feature) is \(entitlement.kind.rawValue)") }
        let holds = try entitlements.database.withConnection { connection in
            try connection.queryFirst("""
                SELECT a.member FROM seat_assignments a JOIN customers c ON c.id = a.customer_id
                WHERE c.external_id = \(externalID) AND a.feature_key = \(feature.rawValue) AND a.member = \(member)
                """) != nil
        }
        let reason: DenialReason? = entitlement.value == nil ? entitlement.denial ?? .featureNotInPlan : (holds ? nil : .notAssigned)
        return CheckResult(allowed: reason == nil, reason: reason, feature: feature, value: entitlement.value, remaining: entitlement.remaining)
    }

    /// How many members hold a seat of each feature of the customer (features nobody holds are left out).
    static func counts(customerID: String, on connection: any SQLConnection) throws -> [FeatureKey: Int64] {
        var counts: [FeatureKey: Int64] = [:]
        for row in try connection.query("SELECT feature_key, assigned FROM seat_limits WHERE customer_id = \(customerID) AND assigned > 0") {
            counts[try StoredValue.featureKey(try row.get("feature_key"))] = try row.get("assigned")
        }
        return counts
    }

    /// The customer, once `feature` is known to be a limit feature.
    private static func subject(
        _ externalID: String, _ feature: FeatureKey, on connection: any SQLConnection, entitlements: EntitlementService
    ) throws -> Customer {
        guard let customer = try CustomerRepository.find(externalID: externalID, on: connection) else {
            throw DomainError.unknownCustomer(externalID)
        }
        let catalog = try entitlements.catalogCache.catalog(on: connection)
        guard let definition = catalog.feature(feature) else { throw DomainError.unknownFeature(feature.rawValue) }
        guard definition.kind == .limit else {
            throw DomainError.invalid("feature", "only a limit feature has seats; \(feature) is \(definition.kind.rawValue)")
        }
        return customer
    }

    /// Locks the customer's seat row of `feature` (creating it) and returns how many hold a seat.
    private static func lock(customerID: String, feature: FeatureKey, on connection: any SQLConnection) throws -> Int64 {
        try connection.execute("""
            INSERT INTO seat_limits (customer_id, feature_key, assigned) VALUES (\(customerID), \(feature.rawValue), 0)
            ON CONFLICT (customer_id, feature_key) DO NOTHING
            """)
        guard let row = try connection.queryFirst("""
            SELECT assigned FROM seat_limits WHERE customer_id = \(customerID) AND feature_key = \(feature.rawValue)\(raw: connection.dialect.lockRowsClause)
            """) else { throw StoreError(.decoding, "seat row missing after insert") }
        return try row.get("assigned")
    }

    /// The customer's effective value of `feature` now, evaluated in this transaction.
    private static func limit(
        _ externalID: String, _ feature: FeatureKey, on connection: any SQLConnection, entitlements: EntitlementService, now: Date
    ) throws -> EntitlementValue? {
        let (_, input) = try entitlements.inputs(externalID: externalID, on: connection, now: now)
        return Evaluator.evaluate(input)[feature]?.value
    }
}
