import Foundation
import Tollgate
package import TollgateLogging
package import TollgateStore
package import TollgateStripe
import TollgateBase

/// `tollgate stripe sync`: makes every customer's local state agree with Stripe's objects, whatever
/// happened to the webhooks (lost, late, reordered, or older than Stripe's 30 days of events), and
/// reports every change.
///
/// It reads objects, never the event list:
/// 1. **Read Stripe**: every customer (`GET /v1/customers`) and every subscription of any status
///    (`GET /v1/subscriptions?status=all`), all pages; then, one by one, each Stripe customer a
///    Tollgate customer is linked to and each Stripe subscription Tollgate recorded that the
///    listings did not return (`GET /v1/customers/{id}`: 404 or `deleted: true` means deleted;
///    `GET /v1/subscriptions/{id}`: 404 means gone).
/// 2. **Own** each Stripe object by one Tollgate customer (``Ownership``): a Stripe customer by
///    its link, else its metadata `tollgate_customer`, else its subscriptions' metadata; a
///    subscription by the link of its Stripe customer, else the customer Tollgate recorded it
///    under, else its metadata, else its Stripe customer's owner.
/// 3. **Reconcile each Tollgate customer in one transaction**: the link becomes the best of its
///    live Stripe customers (the one with the best-ranking subscription, the current link on a
///    tie, then the newest) and a deleted one is recorded as deleted and unlinked; email and name
///    become the linked Stripe customer's; every one of its Stripe subscriptions is mirrored
///    through ``StripeSubscriptionMirror`` (as a webhook would be), and one Stripe no longer has is
///    recorded canceled — so ``StripeSubscriptionPrecedence`` picks the current subscription over
///    all of them. Stripe's object is the truth as of its fetch: the ordering guard records it as
///    the object's newest state, and an object a newer webhook changed after the fetch is
///    skipped. A customer whose state does not change writes nothing, so a second run reports
///    nothing.
///
/// **Dry run**: each customer's transaction runs exactly as in a real run and is rolled back.
/// Customers are independent (each transaction touches only its own customer's rows, and the
/// ownership is decided from what was read before any write), so a dry run reports exactly the
/// changes a real run then makes.
///
/// Stripe errors (after the client's retries) and store outages stop the run: the report says how
/// far it got and ``Report/succeeded`` is false. An object that cannot be mirrored (no catalog plan
/// matches its price) is listed as failed and the rest of its customer goes on.
package struct StripeReconciler: Sendable {
    let database: any Database
    let stripe: StripeClient
    let logger: Logger
    /// Told each changed customer's external id after commit (the entitlement cache).
    let didChange: @Sendable (String) -> Void

    package init(database: any Database, stripe: StripeClient, logger: Logger = .disabled, didChange: @escaping @Sendable (String) -> Void = { _ in }) {
        self.database = database
        self.stripe = stripe
        self.logger = logger
        self.didChange = didChange
    }

    /// Reads, owns and reconciles. `progress` is told a line per page and per step
    /// (`customers: 200 scanned`).
    package func run(dryRun: Bool, progress: (String) -> Void = { _ in }) -> Report {
        var report = Report(dryRun: dryRun)
        do {
            let local = try LocalBilling.read(database)
            let account = try readStripe(local: local, report: &report, progress: progress)
            let ownership = Ownership(account: account, local: local)
            report.skipped += ownership.skipped
            let plans = ownership.plans()
            progress("customers: \(plans.count) to reconcile")
            for plan in plans {
                try reconcile(plan, account: account, report: &report)
            }
            report.complete = true
        } catch {
            report.error = Self.describe(error)
            logger.warning("stripe sync stopped", ["error": report.error ?? ""])
        }
        return report
    }

    /// Every Stripe customer and subscription, with the linked customers and recorded
    /// subscriptions the listings did not return fetched one by one.
    private func readStripe(local: LocalBilling, report: inout Report, progress: (String) -> Void) throws -> StripeAccountView {
        var account = StripeAccountView()
        var requestedAt = Date()
        var scanned = 0
        try stripe.forEachPage("/v1/customers") { page in
            for customer in page { account.add(customer: customer, fetchedAt: requestedAt) }
            scanned += page.count
            progress("customers: \(scanned) scanned")
            requestedAt = Date()
        }
        report.customersScanned = scanned
        requestedAt = Date()
        scanned = 0
        try stripe.forEachPage("/v1/subscriptions", ["status": "all"]) { page in
            for subscription in page { account.add(subscription: subscription, fetchedAt: requestedAt) }
            scanned += page.count
            progress("subscriptions: \(scanned) scanned")
            requestedAt = Date()
        }
        report.subscriptionsScanned = scanned
        // An Accounts v2 customer (`acct_…`) is not a `/v1/customers` object: its link is left as it is.
        let unlistedCustomers = local.linkedStripeCustomers.filter { account.customers[$0] == nil && !Ownership.isAccount($0) }.sorted()
        let unlistedSubscriptions = local.recordedSubscriptions.keys.filter { account.subscriptions[$0] == nil }.sorted()
        if !unlistedCustomers.isEmpty || !unlistedSubscriptions.isEmpty {
            progress("checking \(unlistedCustomers.count) linked customers and \(unlistedSubscriptions.count) subscriptions Stripe did not list")
        }
        for id in unlistedCustomers {
            let fetchedAt = Date()
            if let customer = try stripe.find("/v1/customers/" + StripeClient.pathSegment(id)), customer["deleted"]?.bool != true {
                account.add(customer: customer, fetchedAt: fetchedAt)
            } else {
                account.deletedCustomers.insert(id)
            }
        }
        for id in unlistedSubscriptions {
            let fetchedAt = Date()
            if let subscription = try stripe.find("/v1/subscriptions/" + StripeClient.pathSegment(id)) {
                account.add(subscription: subscription, fetchedAt: fetchedAt)
            } else {
                account.goneSubscriptions[id] = fetchedAt
            }
        }
        return account
    }

    /// One customer's transaction (rolled back in a dry run, or when nothing changed); its changes,
    /// skips and failures go into `report`.
    private func reconcile(_ plan: CustomerPlan, account: StripeAccountView, report: inout Report) throws {
        let dryRun = report.dryRun
        let outcome: CustomerReconciliation.Outcome
        do {
            outcome = try Self.transaction(database, commitIf: { $0.wrote && !dryRun }) { connection in
                try CustomerReconciliation(plan: plan, account: account, connection: connection, now: Date()).run()
            }
        } catch let error as StoreError where error.isTransient {
            throw error
        } catch {
            report.failed.append(.init(stripeID: plan.stripeIDs.first ?? plan.externalID, message: Self.describe(error)))
            return
        }
        report.changes += outcome.changes
        report.skipped += outcome.skipped
        report.failed += outcome.failed
        if !report.dryRun, !outcome.changes.isEmpty { didChange(plan.externalID) }
    }

    /// Runs `body` in a transaction that commits only when `commitIf` holds for its result (else it
    /// is rolled back: a dry run, or nothing changed); returns the result either way.
    private static func transaction<T>(
        _ database: any Database, commitIf: (T) -> Bool, _ body: (any SQLConnection) throws -> T
    ) throws -> T {
        var discarded: T?
        do {
            return try database.transaction { connection in
                let result = try body(connection)
                guard commitIf(result) else {
                    discarded = result
                    throw Discard()
                }
                return result
            }
        } catch is Discard {
            guard let discarded else { throw Discard() }
            return discarded
        }
    }

    /// Thrown to roll back a transaction whose result is only reported.
    private struct Discard: Error {}

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as StripeError: "Stripe: \(error.description)"
        case let error as StoreError: "store: \(error.description)"
        default: String(describing: error)
        }
    }
}
