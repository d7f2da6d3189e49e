package import Foundation
import Tollgate
import TollgateBase
import TollgateEvents
import TollgateStore

extension EntitlementService {
    /// Folds the customers marked due since the last call into their announcement rows
    /// (``EntitlementAnnouncements/foldDue(limit:on:)``, transactions of their own), then evaluates
    /// the customers due (``EntitlementAnnouncements``), at most `limit`, in one transaction, and for each whose announced state changed appends `entitlements.updated` (and
    /// `grant.expired` for each grant that ran out since the last evaluation). Returns how many were
    /// evaluated. Seats whose limit fell below their holders, or that fit again, are recorded
    /// there too (``SeatLimits``).
    ///
    /// A customer is evaluated by one transaction at a time: its announcement row and its event
    /// sequence row are both claimed with `SKIP LOCKED` (PostgreSQL), so another instance's
    /// scheduler passes over it, and so does this one while a change of the customer is still
    /// open (it is due again once that commits: its mark is folded then). Never waiting on a row
    /// lock, the evaluation cannot be part of a deadlock with the writes that mark customers due
    /// (which only insert marks); a fold may wait for an evaluation, never the reverse. Subscriptions and grants are
    /// read for the whole batch at once; usage (for the ETag) only for customers that changed.
    @discardableResult
    package func announceDue(now: Date = Date(), limit: Int = 200) throws -> Int {
        try foldMarks()
        let (evaluated, appended, credited) = try database.transaction { connection -> (Int, Bool, [String]) in
            let claim = connection.dialect.claimRowsClause
            var due = try connection.query("""
                SELECT customer_id, customer, features, evaluated_at FROM entitlement_announcements
                WHERE next_change_at <= \(now) ORDER BY next_change_at LIMIT \(limit)\(raw: claim)
                """)
            guard !due.isEmpty else { return (0, false, []) }
            let ids: [String] = try due.map { try $0.get("customer_id") }
            let claimed = try DomainEvents.claimSequences(customerIDs: ids, on: connection)
            due = try due.filter { claimed[try $0.get("customer_id")] != nil }
            guard !due.isEmpty else { return (0, false, []) }

            let catalog = try catalogCache.catalog(on: connection)
            let externalIDs: [String] = try due.map { try $0.get("customer") }
            let subscriptions = try SubscriptionRepository.current(externalIDs: externalIDs, on: connection)
            let grants = try GrantRepository.grants(customerIDs: due.map { try $0.get("customer_id") }, on: connection)
            var appended = false
            // Plans' credits for the period (docs/credits.md), added on time: accounts another
            // transaction holds are passed over, and their customer is due again in a second.
            let book = CreditBook()
            let floors = CreditStore.floors(catalog)
            var credited: [String] = []
            let seats = try SeatLimits.claim(customerIDs: due.map { try $0.get("customer_id") }, on: connection)
            var evaluations: [EntitlementAnnouncements.Evaluation] = []
            for row in due {
                let customerID: String = try row.get("customer_id")
                let externalID: String = try row.get("customer")
                let subscription = subscriptions[externalID]?.state
                let theirGrants = grants[customerID] ?? []
                let input = EvaluationInput(
                    features: catalog.features, plan: subscription.flatMap { catalog.plan($0.planKey) }, defaultPlan: catalog.defaultPlan,
                    subscription: subscription, grants: theirGrants, usage: [:], now: now, policy: policy)
                var nextChange = input.nextChange
                if let plan = input.effectivePlan, !plan.credits.isEmpty {
                    let keys = Set(plan.credits.keys.map { CreditBook.Key(customerID: customerID, pool: $0) })
                    let open = try book.lock(keys, floors: floors, skippingLocked: true, on: connection, now: now)
                    if open.count < keys.count { nextChange = min(nextChange ?? .distantFuture, now.addingTimeInterval(1)) }
                    let window = UsageWindow.current(for: .billingPeriod, subscription: subscription, at: now)
                    if try book.grantAllowances(plan.credits, plan: plan.key, window: window, customerID: customerID, on: connection, now: now) {
                        credited.append(externalID)
                    }
                }
                let evaluated = Evaluator.evaluate(input)
                var announced: [String: AnnouncedEntitlement] = [:]
                for (key, entitlement) in evaluated { announced[key.rawValue] = AnnouncedEntitlement(entitlement) }
                let encoded = EntitlementAnnouncements.encode(announced)
                let storedText: String = try row.get("features")
                let evaluatedAt: Date = try row.get("evaluated_at")
                let reference = EventCustomer(id: customerID, externalID: externalID)

                // Grants that ran out since the last evaluation (and were not revoked first).
                for grant in theirGrants {
                    guard let expiry = grant.expiresAt, expiry > evaluatedAt, expiry <= now else { continue }
                    if let revoked = grant.revokedAt, revoked <= expiry { continue }
                    try DomainEvents.grant(.grantExpired, grant, customer: reference, on: connection, now: now)
                    appended = true
                }
                if let rows = seats[customerID], try SeatLimits.record(
                    rows, entitlements: evaluated, customer: reference, observer: seatAlertObserver, on: connection, now: now
                ) {
                    appended = true
                }
                if encoded != storedText {
                    try announce(announced, previous: EntitlementAnnouncements.decode(storedText), customer: reference, on: connection, now: now)
                    appended = true
                }
                evaluations.append((customerID, encoded, nextChange))
                // (No cache to drop: the change that marked the customer due dropped it, and a cached
                // snapshot is never served past the instant it changes by itself.)
            }
            try EntitlementAnnouncements.record(evaluations, at: now, on: connection)
            var customers: [String: String] = [:]
            for row in due { customers[try row.get("customer_id")] = try row.get("customer") }
            if try CreditAlert.append(
                book.crossings(lowBalances: CreditAlert.lowBalances(catalog)), customers: customers, observer: credits.alertObserver, on: connection, now: now
            ) {
                appended = true
            }
            try book.flush(on: connection)
            return (due.count, appended, credited)
        }
        for customer in credited { cache?.invalidate(customer) }
        if appended { events?.appended.notify() }
        return evaluated
    }

    /// Folds the marks waiting in `entitlement_announcement_due`, a page per transaction, until
    /// fewer than a page are left (at most 16 pages a call: the next call folds the rest).
    private func foldMarks() throws {
        let page = 1000
        for _ in 0..<16 {
            let folded = try database.transaction { connection in try EntitlementAnnouncements.foldDue(limit: page, on: connection) }
            if folded < page { return }
        }
    }

    /// Marks due the customers never evaluated; returns how many.
    @discardableResult
    package func markUnannounced(now: Date = Date()) throws -> Int {
        try database.transaction { connection in try EntitlementAnnouncements.markUnannounced(on: connection, now: now) }
    }

    /// The next instant a customer is due, if any: of the announcement rows, and of the marks not
    /// folded into them yet.
    package func nextAnnouncementDue() throws -> Date? {
        try database.withConnection { connection in
            let rows: Date? = try connection.queryFirst("SELECT min(next_change_at) AS due FROM entitlement_announcements")?.get("due")
            let marks: Date? = try connection.queryFirst("SELECT min(due_at) AS due FROM entitlement_announcement_due")?.get("due")
            return [rows, marks].compactMap { $0 }.min()
        }
    }

    /// Appends `entitlements.updated`: the changed features now and before, and the ETag of the
    /// customer's whole snapshot (usage included) as it stands in this transaction.
    private func announce(
        _ announced: [String: AnnouncedEntitlement], previous: [String: AnnouncedEntitlement]?, customer: EventCustomer,
        on connection: any SQLConnection, now: Date
    ) throws {
        let (_, input) = try inputs(externalID: customer.externalID, on: connection, now: now)
        let snapshot = Evaluator.snapshot(customer: customer.externalID, input: input)
        let changed = Set(announced.keys).union(previous?.keys ?? [:].keys).filter { announced[$0] != previous?[$0] }.sorted()
        let etag = try snapshot.contentTag()
        var data: [String: JSONValue] = [
            "etag": .string(etag),
            "plan": snapshot.plan.map(JSONValue.string) ?? .null,
            "subscription_status": snapshot.subscriptionStatus.map { .string($0.rawValue) } ?? .null,
            "changed_features": .array(changed.map(JSONValue.string)),
            "features": try DomainEvents.encode(announced.filter { changed.contains($0.key) }),
        ]
        if let previous { data["previous"] = try DomainEvents.encode(previous.filter { changed.contains($0.key) }) }
        try EventLog.append(.entitlementsUpdated, customer: customer, data: .object(data), on: connection, now: now)
        try connection.execute("UPDATE entitlement_announcements SET etag = \(etag) WHERE customer_id = \(customer.id)")
    }
}
