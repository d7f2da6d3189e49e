import Foundation
import Tollgate
import TollgateLogging
import TollgateStore
import TollgateStripe

/// `tollgate stripe sync`: makes local state agree with Stripe after events were lost (an outage,
/// a webhook endpoint that was off), and reports every change.
///
/// Three passes, each object in its own transaction (a failure rolls back that object only; what
/// was repaired before it stays repaired and consistent):
/// 1. **Customers** (`GET /v1/customers`, every page): a Stripe customer whose metadata
///    `tollgate_customer` names an unlinked Tollgate customer (external id) is linked to it.
///    Customers already linked (`stripe_customer_id`) are left as they are.
/// 2. **Subscriptions** (`GET /v1/subscriptions?status=all`, every page): each goes through
///    ``StripeSubscriptionMirror`` — the code that applies `customer.subscription.*` webhooks, both
///    API shapes — as if it were an event created when its page was requested. Stripe's live
///    object is the truth: the ordering guard (`stripe_object_versions`) records it as the newest
///    state of the subscription, so a webhook older than the fetch that arrives later is stale;
///    and if a webhook newer than the fetch was applied meanwhile, the subscription is skipped
///    (the local state is already newer than what was fetched). A Stripe subscription that
///    changes nothing writes nothing (no history row), so a second run reports no change.
/// 3. **Absent subscriptions** (only when both listings went through to the end): a local
///    subscription that is live and carries a Stripe id the listing did not return is fetched on
///    its own (`GET /v1/subscriptions/ID`); if Stripe answers 404 it is canceled locally, otherwise
///    the fetched object is mirrored as in pass 2.
///
/// **Dry run**: every write above happens inside its transaction exactly as in a real run —
/// the same code computes the change — and the transaction is then rolled back, so nothing is
/// written (links that pass 1 would make are made inside each pass-2 transaction, then rolled
/// back with it).
///
/// Stripe errors (after the client's retries) and store outages stop the run: the report says how
/// far it got, pass 3 does not run, and ``Report/succeeded`` is false.
public struct StripeReconciler: Sendable {
    let database: any Database
    let stripe: StripeClient
    let logger: Logger
    /// Told each changed customer's external id after commit (the entitlement cache).
    let didChange: @Sendable (String) -> Void

    public init(database: any Database, stripe: StripeClient, logger: Logger = .disabled, didChange: @escaping @Sendable (String) -> Void = { _ in }) {
        self.database = database
        self.stripe = stripe
        self.logger = logger
        self.didChange = didChange
    }

    /// The reconciler of a service: its store, a Stripe client from its configuration, and its
    /// entitlement cache. Throws ``StripeNotConfigured`` without `TOLLGATE_STRIPE_API_KEY`.
    public init(services: Services) throws {
        let entitlements = services.entitlements
        self.init(
            database: services.database, stripe: try Self.client(services),
            logger: services.logger.labeled("stripe-sync"), didChange: { entitlements.invalidate(customer: $0) })
    }

    /// The services' Stripe client (`Services` builds the one client from the configuration).
    static func client(_ services: Services) throws -> StripeClient {
        guard let stripe = services.stripe else {
            throw StripeNotConfigured("Stripe is not configured: set TOLLGATE_STRIPE_API_KEY (and TOLLGATE_STRIPE_API_BASE for a test peer)")
        }
        return stripe
    }

    /// Runs the three passes. `progress` is told a line per page (`customers: 200 scanned`).
    public func run(dryRun: Bool, progress: (String) -> Void = { _ in }) -> Report {
        var run = Run(reconciler: self, report: Report(dryRun: dryRun))
        do {
            try stripe.forEachPage("/v1/customers") { page in
                for customer in page { try run.reconcileCustomer(customer) }
                run.report.customersScanned += page.count
                progress("customers: \(run.report.customersScanned) scanned")
            }
            var requestedAt = Date()
            try stripe.forEachPage("/v1/subscriptions", ["status": "all"]) { page in
                for subscription in page { try run.reconcileSubscription(subscription, fetchedAt: requestedAt) }
                run.report.subscriptionsScanned += page.count
                progress("subscriptions: \(run.report.subscriptionsScanned) scanned")
                requestedAt = Date()
            }
            try run.reconcileAbsentSubscriptions(progress: progress)
            run.report.complete = true
        } catch {
            run.report.error = Self.describe(error)
            logger.warning("stripe sync stopped", ["error": run.report.error ?? ""])
        }
        return run.report
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as StripeError: "Stripe: \(error.description)"
        case let error as StoreError: "store: \(error.description)"
        default: String(describing: error)
        }
    }
}

/// The state of one run.
private struct Run {
    let reconciler: StripeReconciler
    var report: Report
    /// Stripe subscription ids the listing returned.
    var listed: Set<String> = []
    /// Dry run: Stripe customer → external id of the links pass 1 would have made.
    var plannedLinks: [String: String] = [:]
    /// The live Stripe subscription mirrored per customer in this run, and its `created`.
    var liveByCustomer: [String: (id: String, created: Int)] = [:]

    typealias Report = StripeReconciler.Report
    typealias Change = StripeReconciler.Change

    var dryRun: Bool { report.dryRun }

    /// Thrown to roll back a transaction whose effect is only reported (dry run, or no change).
    private struct Discard: Error {}

    /// Runs `body` in a transaction and commits only when it returns true; the value it left in
    /// `result` is returned either way. Store outages are rethrown (the run stops); any other error
    /// is recorded against `stripeID` as a failure and nil is returned.
    private mutating func write<T>(_ stripeID: String, _ body: (any SQLConnection, inout T?) throws -> Bool) throws -> T? {
        var result: T?
        do {
            try reconciler.database.transaction { connection in
                guard try body(connection, &result) else { throw Discard() }
            }
        } catch is Discard {
        } catch let error as StoreError where error.isTransientStoreFailure {
            throw error
        } catch {
            report.failed.append(.init(stripeID: stripeID, message: StripeReconciler.describe(error)))
            return nil
        }
        return result
    }

    // MARK: Pass 1: customers

    mutating func reconcileCustomer(_ customer: StripeObject) throws {
        guard let stripeID = customer.id, customer["deleted"]?.bool != true else { return }
        guard let reference = customer["metadata"]?["tollgate_customer"]?.string else { return }
        let dryRun = self.dryRun
        enum Outcome { case linked(Change), skipped(String), nothing }
        let outcome: Outcome? = try write(stripeID) { connection, outcome in
            let now = Date()
            if try CustomerRepository.find(stripeCustomerID: stripeID, on: connection) != nil {
                outcome = .nothing
                return false
            }
            guard let local = try CustomerRepository.find(externalID: reference, on: connection) else {
                outcome = .skipped("metadata tollgate_customer \(reference) names no Tollgate customer")
                return false
            }
            if let other = local.stripeCustomerID {
                outcome = .skipped("\(reference) is already linked to \(other); not relinked")
                return false
            }
            try CustomerRepository.link(local, stripeCustomerID: stripeID, on: connection, now: now)
            outcome = .linked(Change(
                kind: .customerLinked, customer: reference, stripeID: stripeID,
                fields: [.init(name: "stripe_customer_id", old: nil, new: stripeID)], reason: "metadata tollgate_customer"))
            return !dryRun
        }
        switch outcome {
        case .linked(let change)?:
            report.changes.append(change)
            if dryRun { plannedLinks[stripeID] = reference }
        case .skipped(let message)?: report.skipped.append(.init(stripeID: stripeID, message: message))
        case .nothing?, nil: break
        }
    }

    // MARK: Pass 2: subscriptions

    private enum SubscriptionOutcome {
        case changed(Change)
        /// Nothing differed; the customer's external id when known.
        case unchanged(String?)
        case skipped(String)
    }

    /// Mirrors one Stripe subscription, fetched from the API at `fetchedAt`.
    mutating func reconcileSubscription(_ subscription: StripeObject, fetchedAt: Date) throws {
        guard let stripeID = subscription.id else { return }
        listed.insert(stripeID)
        let object = subscription
        let event = WebhookEvent(
            id: "sync:" + stripeID, type: "customer.subscription.updated", created: Int64(fetchedAt.timeIntervalSince1970.rounded(.down)),
            object: object)
        let dryRun = self.dryRun
        let plannedLinks = self.plannedLinks
        let liveByCustomer = self.liveByCustomer
        let created = subscription["created"]?.int ?? 0
        let outcome: SubscriptionOutcome? = try write(stripeID) { connection, outcome in
            let now = Date()
            if dryRun, let stripeCustomer = object["customer"]?.id, let external = plannedLinks[stripeCustomer],
               let local = try CustomerRepository.find(externalID: external, on: connection), local.stripeCustomerID == nil {
                try CustomerRepository.link(local, stripeCustomerID: stripeCustomer, on: connection, now: now)
            }
            let customer: Customer
            do {
                customer = try StripeSubscriptionMirror.resolveCustomer(object, on: connection, now: now)
            } catch DomainError.notFound {
                outcome = .skipped("no Tollgate customer is linked to \(object["customer"]?.id ?? "its customer") or named by metadata tollgate_customer")
                return false
            }
            let isLive = object["status"]?.string.flatMap(SubscriptionStatus.init(rawValue:)).map { !$0.hasEnded } ?? false
            if isLive, let other = liveByCustomer[customer.externalID], other.id != stripeID, other.created > created {
                outcome = .skipped("\(customer.externalID) has a newer live subscription in Stripe (\(other.id)); this one is not mirrored")
                return false
            }
            if let newer = try StripeEventApplier.newerEvent(than: event, object: stripeID, on: connection) {
                outcome = .skipped("a newer webhook (\(newer)) was applied after the subscription was fetched")
                return false
            }
            let before = try SubscriptionRepository.current(externalID: customer.externalID, on: connection)
            _ = try StripeSubscriptionMirror.apply(event, StripeEventContext(connection: connection, now: now), source: "stripe-sync")
            let after = try SubscriptionRepository.current(externalID: customer.externalID, on: connection)
            guard let change = Self.change(customer: customer.externalID, stripeID: stripeID, before: before, after: after) else {
                outcome = .unchanged(customer.externalID)
                return false
            }
            outcome = .changed(change)
            return !dryRun
        }
        let isLive = subscription["status"]?.string.flatMap(SubscriptionStatus.init(rawValue:)).map { !$0.hasEnded } ?? false
        switch outcome {
        case .changed(let change)?:
            if isLive { self.liveByCustomer[change.customer] = (stripeID, created) }
            report.changes.append(change)
            if !dryRun { reconciler.didChange(change.customer) }
        case .unchanged(let customer)?:
            if isLive, let customer { self.liveByCustomer[customer] = (stripeID, created) }
        case .skipped(let message)?:
            report.skipped.append(.init(stripeID: stripeID, message: message))
        case nil:
            break
        }
    }

    /// What differs between the local subscription before and after, or nil.
    static func change(customer: String, stripeID: String, before: Subscription?, after: Subscription?) -> Change? {
        guard let after else { return nil }
        func text(_ date: Date?) -> String? { date.map(SQLTimestamp.format) }
        let pairs: [(String, String?, String?)] = [
            ("plan", before?.state.planKey, after.state.planKey),
            ("status", before?.state.status.rawValue, after.state.status.rawValue),
            ("quantity", before.map { String($0.state.quantity) }, String(after.state.quantity)),
            ("current_period_start", text(before?.state.currentPeriodStart), text(after.state.currentPeriodStart)),
            ("current_period_end", text(before?.state.currentPeriodEnd), text(after.state.currentPeriodEnd)),
            ("cancel_at_period_end", before.map { String($0.state.cancelAtPeriodEnd) }, String(after.state.cancelAtPeriodEnd)),
            ("trial_end", text(before?.state.trialEnd), text(after.state.trialEnd)),
            ("past_due_since", text(before?.state.pastDueSince), text(after.state.pastDueSince)),
            ("stripe_subscription_id", before?.stripeSubscriptionID, after.stripeSubscriptionID),
        ]
        let fields = pairs.filter { $0.1 != $0.2 }.map { Change.Field(name: $0.0, old: $0.1, new: $0.2) }
        guard !fields.isEmpty else { return nil }
        let kind: Change.Kind
        if before == nil {
            kind = .subscriptionCreated
        } else if after.state.status.hasEnded, before?.state.status.hasEnded == false {
            kind = .subscriptionCanceled
        } else {
            kind = .subscriptionUpdated
        }
        return Change(kind: kind, customer: customer, stripeID: stripeID, fields: fields,
                      reason: kind == .subscriptionCanceled ? "canceled in Stripe" : nil)
    }

    // MARK: Pass 3: local subscriptions Stripe did not list

    mutating func reconcileAbsentSubscriptions(progress: (String) -> Void) throws {
        let rows = try reconciler.database.withConnection { connection in
            try connection.query("""
                SELECT s.stripe_subscription_id FROM subscriptions s
                WHERE s.stripe_subscription_id IS NOT NULL AND s.status NOT IN ('canceled', 'incomplete_expired')
                ORDER BY s.stripe_subscription_id
                """)
        }
        let unlisted = try rows.map { row -> String in try row.get("stripe_subscription_id") }.filter { !listed.contains($0) }
        guard !unlisted.isEmpty else { return }
        progress("subscriptions: \(unlisted.count) live locally but not listed by Stripe; checking each")
        for stripeID in unlisted {
            let fetchedAt = Date()
            do {
                let object = try reconciler.stripe.get("/v1/subscriptions/" + StripeClient.pathSegment(stripeID))
                try reconcileSubscription(object, fetchedAt: fetchedAt)
            } catch let error as StripeError where error.isNotFound {
                try cancelAbsent(stripeID, fetchedAt: fetchedAt)
            }
        }
    }

    /// Cancels the local subscription Stripe no longer has, keeping its other fields.
    private mutating func cancelAbsent(_ stripeID: String, fetchedAt: Date) throws {
        let dryRun = self.dryRun
        let event = WebhookEvent(
            id: "sync:" + stripeID, type: "customer.subscription.deleted", created: Int64(fetchedAt.timeIntervalSince1970.rounded(.down)),
            object: .object(["id": .string(stripeID)]))
        let outcome: SubscriptionOutcome? = try write(stripeID) { connection, outcome in
            let now = Date()
            guard let row = try connection.queryFirst("""
                SELECT c.external_id FROM subscriptions s JOIN customers c ON c.id = s.customer_id
                WHERE s.stripe_subscription_id = \(stripeID)
                """), let customer = try CustomerRepository.find(externalID: try row.get("external_id"), on: connection),
                let before = try SubscriptionRepository.current(externalID: customer.externalID, on: connection),
                before.stripeSubscriptionID == stripeID, !before.state.status.hasEnded
            else {
                outcome = .unchanged(nil)
                return false
            }
            if let newer = try StripeEventApplier.newerEvent(than: event, object: stripeID, on: connection) {
                outcome = .skipped("a newer webhook (\(newer)) was applied after Stripe answered 404")
                return false
            }
            let state = before.state
            let change = SubscriptionChange(
                plan: state.planKey, status: .canceled, quantity: state.quantity, currentPeriodStart: state.currentPeriodStart,
                currentPeriodEnd: state.currentPeriodEnd, cancelAtPeriodEnd: state.cancelAtPeriodEnd, trialEnd: state.trialEnd)
            let after = try SubscriptionRepository.set(
                customer: customer, change, source: "stripe-sync", mode: .mirror, stripeSubscriptionID: stripeID, on: connection, now: now)
            guard var reported = Self.change(customer: customer.externalID, stripeID: stripeID, before: before, after: after) else {
                outcome = .unchanged(nil)
                return false
            }
            reported.reason = "absent from Stripe"
            outcome = .changed(reported)
            return !dryRun
        }
        switch outcome {
        case .changed(let change)?:
            report.changes.append(change)
            if !dryRun { reconciler.didChange(change.customer) }
        case .skipped(let message)?: report.skipped.append(.init(stripeID: stripeID, message: message))
        case .unchanged?, nil: break
        }
    }
}
