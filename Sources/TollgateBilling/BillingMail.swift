import Foundation
import Tollgate
package import TollgateEntitlements
import TollgateMail
import TollgateOutbox
import TollgateStore
import TollgateBase

/// The mails billing changes queue, each inside the transaction of its change:
///
/// | mail | when | dedupe key |
/// |---|---|---|
/// | `subscription_started` | a subscription becomes active or trialing from none, an ended or an incomplete one | `subscription_started:<stripe id or history id>` |
/// | `subscription_canceled` | a subscription becomes canceled | `subscription_canceled:<stripe id or history id>` |
/// | `trial_ending` | Stripe's `customer.subscription.trial_will_end` | `trial_ending:<stripe id>:<trial end>` |
/// | `payment_failed` | Stripe's `invoice.payment_failed` | `payment_failed:<invoice id>:<attempt>` |
///
/// A customer without an email address gets no mail. Add a mail by adding its case to
/// ``MailTemplate`` (with its data), its templates, and a function here called from the change's
/// write path.
package enum BillingMail {
    /// Queues the mails of subscription writes: the observer ``Services`` and the Stripe mirror
    /// give ``SubscriptionRepository``.
    package static let subscriptionObserver = SubscriptionObserver { write, connection, now in
        try subscriptionChanged(
            customer: write.customer, previous: write.previous, saved: write.saved, historyID: write.historyID, on: connection, now: now)
    }

    /// After ``SubscriptionRepository/set`` wrote `saved` over `previous`.
    static func subscriptionChanged(
        customer: Customer, previous: SubscriptionState?, saved: Subscription, historyID: String, on connection: any SQLConnection, now: Date
    ) throws {
        let status = saved.state.status
        let wasLive = previous.map { [.active, .trialing, .pastDue, .paused].contains($0.status) } ?? false
        let key = saved.stripeSubscriptionID ?? historyID
        if (status == .active || status == .trialing) && !wasLive {
            var data = try base(customer: customer, plan: saved.state.planKey, on: connection)
            data["trial_end"] = saved.state.trialEnd.map { .string(MailFormat.day($0)) } ?? .null
            data["current_period_end"] = saved.state.currentPeriodEnd.map { .string(MailFormat.day($0)) } ?? .null
            try queue(.subscriptionStarted, key: "subscription_started:\(key)", customer: customer, data: data, on: connection, now: now)
        } else if status == .canceled, previous?.status != .canceled, previous != nil {
            var data = try base(customer: customer, plan: saved.state.planKey, on: connection)
            data["ends_at"] = .string(MailFormat.day(saved.state.currentPeriodEnd.map { min($0, now) } ?? now))
            try queue(.subscriptionCanceled, key: "subscription_canceled:\(key)", customer: customer, data: data, on: connection, now: now)
        }
    }

    /// Stripe told that the trial of `stripeSubscriptionID` ends soon.
    static func trialEnding(
        customer: Customer, subscription: Subscription, hasPaymentMethod: Bool, on connection: any SQLConnection, now: Date
    ) throws {
        guard let trialEnd = subscription.state.trialEnd, let stripeID = subscription.stripeSubscriptionID else { return }
        var data = try base(customer: customer, plan: subscription.state.planKey, on: connection)
        data["trial_end"] = .string(MailFormat.day(trialEnd))
        data["days_left"] = .number(max(0, (trialEnd.timeIntervalSince(now) / 86_400).rounded(.up)))
        data["has_payment_method"] = .bool(hasPaymentMethod)
        try queue(.trialEnding, key: "trial_ending:\(stripeID):\(Int(trialEnd.timeIntervalSince1970))", customer: customer, data: data,
                  on: connection, now: now)
    }

    /// An invoice of the customer's subscription failed to be paid.
    static func paymentFailed(
        customer: Customer, plan: String, invoice: PaymentFailure, on connection: any SQLConnection, now: Date
    ) throws {
        var data = try base(customer: customer, plan: plan, on: connection)
        data["invoice"] = ["number": .string(invoice.number ?? invoice.id), "amount": .string(MailFormat.money(invoice.amountDue, currency: invoice.currency))]
        data["failure_reason"] = invoice.failureReason.map(MustacheValue.string) ?? .null
        data["next_attempt"] = invoice.nextAttempt.map { .string(MailFormat.day($0)) } ?? .null
        try queue(.paymentFailed, key: "payment_failed:\(invoice.id):\(invoice.attempt)", customer: customer, data: data, on: connection, now: now)
    }

    /// What a failed invoice says, read from Stripe's invoice object.
    struct PaymentFailure {
        var id: String
        var number: String?
        var amountDue: Int64
        var currency: String
        var attempt: Int
        var nextAttempt: Date?
        var failureReason: String?
    }

    // MARK: Shared

    /// `customer` and `plan` (name, and its first price when the catalog has one).
    private static func base(customer: Customer, plan key: String, on connection: any SQLConnection) throws -> [String: MustacheValue] {
        var plan: [String: MustacheValue] = ["key": .string(key)]
        let summary = try CatalogRepository.planSummary(key, on: connection)
        plan["name"] = .string(summary.name ?? key)
        if let price = summary.price {
            plan["amount"] = .string(MailFormat.money(price.unitAmount, currency: price.currency))
            plan["interval"] = .string(price.interval.rawValue)
        }
        return [
            "customer": ["name": .string(customer.name ?? customer.email ?? customer.externalID), "email": .string(customer.email ?? ""),
                         "id": .string(customer.externalID)],
            "plan": .object(plan),
        ]
    }

    private static func queue(
        _ template: MailTemplate, key: String, customer: Customer, data: [String: MustacheValue], on connection: any SQLConnection, now: Date
    ) throws {
        guard let email = customer.email, !email.isEmpty else { return }
        try Outbox.enqueue(
            OutboxMail(template, to: email, toName: customer.name, customerID: customer.id, data: .object(data), dedupeKey: key),
            on: connection, now: now)
    }
}
