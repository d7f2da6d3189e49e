import Foundation
import Tollgate
import TollgateEntitlements
import TollgateStore
import TollgateStripe
import TollgateBase

/// `stripe sync` for one Tollgate customer, inside its transaction: the link, the contact fields,
/// and every one of its Stripe subscriptions (see ``StripeReconciler``).
struct CustomerReconciliation {
    let plan: CustomerPlan
    let account: StripeAccountView
    let connection: any SQLConnection
    let now: Date

    typealias Change = StripeReconciler.Change
    typealias Problem = StripeReconciler.Problem

    struct Outcome {
        var changes: [Change] = []
        var skipped: [Problem] = []
        var failed: [Problem] = []
        /// Something was written that a real run must commit (a reported change, or the recorded
        /// state of a subscription that is not the current one).
        var wrote = false
    }

    /// Everything of the customer a sync may change, to tell whether it did (write times aside).
    private struct State: Equatable {
        var link: String?
        var email: String?
        var name: String?
        var current: Subscription?
        var mirrored: [String]

        static func == (a: State, b: State) -> Bool {
            (a.link, a.email, a.name, a.mirrored) == (b.link, b.email, b.name, b.mirrored)
                && a.current?.state == b.current?.state && a.current?.stripeSubscriptionID == b.current?.stripeSubscriptionID
        }
    }

    func run() throws -> Outcome {
        var outcome = Outcome()
        try CustomerRepository.lock(id: plan.customerID, on: connection)
        let before = try state()
        var customer = try self.customer()

        if customer.stripeCustomerID != plan.link {
            if let current = customer.stripeCustomerID, plan.currentLinkDeleted {
                _ = try CustomerRepository.markDeleted(stripeCustomerID: current, on: connection, now: now)
            } else if let current = customer.stripeCustomerID {
                _ = try CustomerRepository.unlink(stripeCustomerID: current, on: connection, now: now)
            }
            if let link = plan.link { try CustomerRepository.link(customer, stripeCustomerID: link, on: connection, now: now) }
            customer = try self.customer()
        }
        if let link = plan.link, let object = account.customers[link] {
            let (email, name) = (object["email"]?.string, object["name"]?.string)
            if (email ?? customer.email) != customer.email || (name ?? customer.name) != customer.name {
                if case .stale(let newer) = try order(object: link, type: "customer.updated") {
                    outcome.skipped.append(.init(stripeID: link, message: "a newer webhook (\(newer)) was applied after the customer was fetched"))
                } else {
                    try CustomerRepository.updateContact(customer, email: email, name: name, on: connection, now: now)
                }
            }
        }
        let owner = customer
        let context = StripeEventContext(connection: connection, now: now)
        for id in plan.subscriptions {
            guard let object = account.subscriptions[id] else { continue }
            if case .stale(let newer) = try order(object: id, type: "customer.subscription.updated") {
                outcome.skipped.append(.init(stripeID: id, message: "a newer webhook (\(newer)) was applied after the subscription was fetched"))
                continue
            }
            let event = WebhookEvent(id: "sync:" + id, type: "customer.subscription.updated", created: seconds(id), object: object)
            if let failure = try savepoint(id, { _ = try StripeSubscriptionMirror.apply(event, to: owner, context, source: "stripe-sync") }) {
                outcome.failed.append(failure)
            }
        }
        for id in plan.goneSubscriptions {
            if case .stale(let newer) = try order(object: id, type: "customer.subscription.deleted") {
                outcome.skipped.append(.init(stripeID: id, message: "a newer webhook (\(newer)) was applied after Stripe answered 404"))
                continue
            }
            let gone = { _ = try SubscriptionRepository.mirrorGone(
                    customer: owner, stripeSubscriptionID: id, source: "stripe-sync", observer: BillingMail.subscriptionObserver, on: connection, now: now) }
            if let failure = try savepoint(id, gone) { outcome.failed.append(failure) }
        }

        let after = try state()
        outcome.changes = changes(before: before, after: after)
        outcome.wrote = before != after
        return outcome
    }

    private func customer() throws -> Customer {
        guard let customer = try CustomerRepository.find(id: plan.customerID, on: connection) else {
            throw DomainError.notFound("customer \(plan.externalID)")
        }
        return customer
    }

    private func state() throws -> State {
        let customer = try customer()
        let mirrored = try SubscriptionRepository.stripeSubscriptions(customerID: plan.customerID, on: connection)
            .map { "\($0.candidate.stripeSubscriptionID) \($0.candidate.startedAt.timeIntervalSince1970) \($0.change)" }
        return State(
            link: customer.stripeCustomerID, email: customer.email, name: customer.name,
            current: try SubscriptionRepository.current(externalID: plan.externalID, on: connection), mirrored: mirrored)
    }

    /// The second the object was fetched: the `created` of the event a sync write stands for.
    private func seconds(_ id: String) -> Int64 {
        Int64((account.fetchedAt[id] ?? account.goneSubscriptions[id] ?? now).timeIntervalSince1970.rounded(.down))
    }

    /// The ordering guard for the object as fetched (``StripeObjectVersions/order(_:object:on:)``):
    /// Stripe's object is the newest state unless a webhook created after the fetch was applied.
    private func order(object id: String, type: String) throws -> StripeObjectVersions.Verdict {
        let event = WebhookEvent(id: "sync:" + id, type: type, created: seconds(id), object: .object(["id": .string(id)]))
        return try StripeObjectVersions.order(event, object: id, on: connection)
    }

    /// Runs one object's write in a savepoint: a failure rolls back that object only and is
    /// returned; store outages are rethrown.
    private func savepoint(_ stripeID: String, _ body: () throws -> Void) throws -> Problem? {
        do {
            try connection.savepoint(body)
            return nil
        } catch let error as StoreError where error.isTransient {
            throw error
        } catch {
            return Problem(stripeID: stripeID, message: StripeReconciler.describe(error))
        }
    }

    // MARK: The report

    private func changes(before: State, after: State) -> [Change] {
        var changes: [Change] = []
        if before.link != after.link {
            let reason: String
            if let old = before.link, plan.currentLinkDeleted {
                reason = "\(old) was deleted in Stripe"
            } else if before.link == nil {
                reason = "metadata tollgate_customer"
            } else {
                reason = "\(after.link ?? "") holds the customer's best Stripe subscription"
            }
            changes.append(Change(
                kind: after.link == nil ? .customerUnlinked : .customerLinked, customer: plan.externalID,
                stripeID: after.link ?? before.link ?? "", fields: [.init(name: "stripe_customer_id", old: before.link, new: after.link)],
                reason: reason))
        }
        let contact = [("email", before.email, after.email), ("name", before.name, after.name)].filter { $0.1 != $0.2 }
        if !contact.isEmpty, let link = after.link {
            changes.append(Change(
                kind: .customerUpdated, customer: plan.externalID, stripeID: link,
                fields: contact.map { Change.Field(name: $0.0, old: $0.1, new: $0.2) }, reason: nil))
        }
        if var change = Self.change(customer: plan.externalID, before: before.current, after: after.current) {
            if change.kind == .subscriptionCanceled, plan.goneSubscriptions.contains(change.stripeID) { change.reason = "absent from Stripe" }
            changes.append(change)
        }
        return changes
    }

    /// What differs between the customer's current subscription before and after, or nil.
    static func change(customer: String, before: Subscription?, after: Subscription?) -> Change? {
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
        return Change(kind: kind, customer: customer, stripeID: after.stripeSubscriptionID ?? "", fields: fields,
                      reason: kind == .subscriptionCanceled ? "canceled in Stripe" : nil)
    }
}
