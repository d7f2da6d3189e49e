package import Foundation
import Tollgate
import TollgateBase
import TollgateEvents
import TollgateStore

extension EntitlementService {
    /// Evaluates the customers due (``EntitlementAnnouncements``) — at most `limit`, each in its own
    /// transaction holding its announcement row, passed over when another instance holds it — and
    /// for each whose announced state changed appends `entitlements.updated` (and `grant.expired` for
    /// each grant that ran out since the last evaluation). Returns how many were evaluated.
    @discardableResult
    package func announceDue(now: Date = Date(), limit: Int = 200) throws -> Int {
        let due: [String] = try database.withConnection { connection in
            try connection.query("""
                SELECT customer_id FROM entitlement_announcements WHERE next_change_at <= \(now) ORDER BY next_change_at LIMIT \(limit)
                """).map { try $0.get("customer_id") }
        }
        var appended = false
        for customerID in due {
            if try announce(customerID: customerID, now: now) { appended = true }
        }
        if appended { events?.appended.notify() }
        return due.count
    }

    /// The next instant a customer is due, if any (the scheduler sleeps until then at most).
    package func nextAnnouncementDue() throws -> Date? {
        try database.withConnection { connection in
            try connection.queryFirst("SELECT min(next_change_at) AS due FROM entitlement_announcements")?.get("due")
        }
    }

    /// Evaluates one due customer; true when it appended an event.
    private func announce(customerID: String, now: Date) throws -> Bool {
        try database.transaction { connection in
            guard let row = try connection.queryFirst("""
                SELECT features, evaluated_at FROM entitlement_announcements
                WHERE customer_id = \(customerID) AND next_change_at <= \(now)\(raw: connection.dialect.claimRowsClause)
                """) else { return false }  // done already, or another instance holds it
            guard let customer = try CustomerRepository.find(id: customerID, on: connection) else {
                try connection.execute("DELETE FROM entitlement_announcements WHERE customer_id = \(customerID)")
                return false
            }
            let (_, input) = try inputs(externalID: customer.externalID, on: connection, now: now)
            let snapshot = Evaluator.snapshot(customer: customer.externalID, input: input)
            var announced: [String: AnnouncedEntitlement] = [:]
            for (key, entitlement) in snapshot.entitlements { announced[key.rawValue] = AnnouncedEntitlement(entitlement) }
            let previous = EntitlementAnnouncements.decode(try row.get("features"))
            let evaluatedAt: Date = try row.get("evaluated_at")
            let reference = DomainEvents.customerRef(customer)
            var appended = false
            // Grants that ran out since the last evaluation (and were not revoked first).
            for grant in input.grants {
                guard let expiry = grant.expiresAt, expiry > evaluatedAt, expiry <= now else { continue }
                if let revoked = grant.revokedAt, revoked <= expiry { continue }
                try DomainEvents.grant(.grantExpired, grant, customer: reference, on: connection, now: now)
                appended = true
            }
            let etag = try snapshot.contentTag()
            if previous != announced {
                let changed = Set(announced.keys).union(previous?.keys ?? [:].keys).filter { announced[$0] != previous?[$0] }.sorted()
                var data: [String: JSONValue] = [
                    "etag": .string(etag),
                    "plan": snapshot.plan.map(JSONValue.string) ?? .null,
                    "subscription_status": snapshot.subscriptionStatus.map { .string($0.rawValue) } ?? .null,
                    "changed_features": .array(changed.map(JSONValue.string)),
                    "features": try DomainEvents.encode(announced.filter { changed.contains($0.key) }),
                ]
                if let previous { data["previous"] = try DomainEvents.encode(previous.filter { changed.contains($0.key) }) }
                try EventLog.append(.entitlementsUpdated, customer: reference, data: .object(data), on: connection, now: now)
                appended = true
            }
            try connection.execute("""
                UPDATE entitlement_announcements SET features = \(try EntitlementAnnouncements.encode(announced)), etag = \(etag),
                    next_change_at = \(input.nextChange), evaluated_at = \(now)
                WHERE customer_id = \(customerID)
                """)
            if appended { cache?.invalidate(customer.externalID) }
            return appended
        }
    }
}
