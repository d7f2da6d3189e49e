import Foundation
import Testing
import Tollgate
@testable import TollgateBilling
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateOutbox
import TollgateStore
import TollgateStripe
import TollgateTestSupport
import TollgateBase

/// The same Stripe events rendered at three API versions (`Fixtures/stripe-shapes/`: before basil,
/// basil, and the pinned endive) leave the same local state: every field Tollgate reads is read
/// in each place the versions put it.
@Suite struct StripeEventShapeTests {
    static let versions = ["2025-02-24.acacia", "2025-03-31.basil", "2026-10-28.endive"]
    static let failedAt = Date(timeIntervalSince1970: 1_769_907_600)

    static func payload(_ version: String, _ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/stripe-shapes/\(version)"))
        return Array(try Data(contentsOf: url))
    }

    /// What the events left: the subscription's state and ids, the Stripe link, the mails queued
    /// (template, dedupe key, rendered data) and each event's outcome.
    struct Outcome: Equatable {
        var state: SubscriptionState?
        var stripeSubscriptionID: String?
        var stripeCustomerID: String?
        var mails: [String]
        var events: [String]
    }

    static func outcome(_ fixture: WebhookFixture) throws -> Outcome {
        let subscription = try fixture.subscription
        let mails = try fixture.services.outbox.list(page: try PageRequest(limit: 100)).items.map { mail in
            "\(mail.template) \(mail.dedupeKey) \(try #require(try fixture.services.outbox.find(id: mail.id)).data)"
        }
        let events = try fixture.services.stripeEvents.list(page: try PageRequest(limit: 100)).items.map { event in
            "\(event.id) \(event.status.rawValue) \(event.note ?? "")"
        }
        return Outcome(
            state: subscription?.state, stripeSubscriptionID: subscription?.stripeSubscriptionID,
            stripeCustomerID: try fixture.services.customers.get(externalID: "org_acme").stripeCustomerID,
            mails: mails.sorted(), events: events.sorted())
    }

    @Test func theFixturesAreRenderedAtTheVersionsTheyAreNamedFor() throws {
        for version in Self.versions {
            for name in ["customer.subscription.created", "invoice.payment_failed", "invoice.paid"] {
                let event = try WebhookEvent(json: try Self.payload(version, name))
                #expect(event.apiVersion == version)
                #expect(StripeAPIVersion.isReadable(event.apiVersion), "\(version) is read")
            }
        }
        #expect(Self.versions.last == StripeConfiguration.pinnedAPIVersion, "the newest shape is the pinned version's")
        // The shapes differ where the changelog says they do.
        let old = try WebhookEvent(json: try Self.payload("2025-02-24.acacia", "invoice.payment_failed")).object
        let new = try WebhookEvent(json: try Self.payload("2026-10-28.endive", "invoice.payment_failed")).object
        #expect(old["subscription"] != nil && old["paid"] != nil && old["parent"] == nil)
        #expect(new["subscription"] == nil && new["paid"] == nil && new["payment_intent"] == nil && new["parent"] != nil)
        let oldSubscription = try WebhookEvent(json: try Self.payload("2025-02-24.acacia", "customer.subscription.created")).object
        let newSubscription = try WebhookEvent(json: try Self.payload("2026-10-28.endive", "customer.subscription.created")).object
        #expect(oldSubscription["current_period_end"] != nil && oldSubscription["items"]?["data"]?[0]?["current_period_end"] == nil)
        #expect(newSubscription["current_period_end"] == nil && newSubscription["items"]?["data"]?[0]?["current_period_end"] != nil)
    }

    /// Subscription created, then its invoice's payment fails (the grace clock starts and the mail
    /// is queued), then the invoice is paid (the clock stops): identical in every shape.
    @Test(arguments: Backend.allCases)
    func theSameEventsInEveryShapeFromBeforeBasilToEndiveLeaveTheSameState(backend: Backend) throws {
        var outcomes: [String: [Outcome]] = [:]
        for version in Self.versions {
            let fixture = try WebhookFixture(backend)
            let applier = fixture.applier()
            try fixture.deliver(try Self.payload(version, "customer.subscription.created"))
            try fixture.deliver(try Self.payload(version, "invoice.payment_failed"))
            #expect(try applier.applyPending().applied == 2, "\(version)")
            let failed = try Self.outcome(fixture)
            #expect(failed.state?.planKey == "pro", "\(version)")
            #expect(failed.state?.quantity == 3, "\(version)")
            #expect(failed.state?.currentPeriodEnd == Date(timeIntervalSince1970: 1_769_904_000), "\(version)")
            #expect(failed.state?.pastDueSince == Self.failedAt, "\(version): the failure started the grace clock")
            #expect(failed.mails.contains { $0.hasPrefix("payment_failed ") && $0.contains("TG-S-0002") }, "\(version)")

            try fixture.deliver(try Self.payload(version, "invoice.paid"))
            #expect(try applier.applyPending().applied == 1, "\(version)")
            let paid = try Self.outcome(fixture)
            #expect(paid.state?.pastDueSince == nil, "\(version): the payment stopped it")
            outcomes[version] = [failed, paid]
        }
        #expect(outcomes["2025-02-24.acacia"] == outcomes["2025-03-31.basil"])
        #expect(outcomes["2025-03-31.basil"] == outcomes["2026-10-28.endive"])
    }

    /// From basil on an invoice may be paid in parts, and it has no `paid` to say when it is paid
    /// in full: a partial payment's `invoice.payment_succeeded` leaves the clock running; the
    /// invoice's `invoice.paid` stops it.
    @Test(arguments: Backend.allCases)
    func aPartialPaymentDoesNotStopTheGraceClock(backend: Backend) throws {
        for version in ["2025-03-31.basil", "2026-10-28.endive"] {
            let fixture = try WebhookFixture(backend)
            let applier = fixture.applier()
            for name in ["customer.subscription.created", "invoice.payment_failed", "invoice.payment_succeeded.partial"] {
                try fixture.deliver(try Self.payload(version, name))
            }
            #expect(try applier.applyPending().applied == 3)
            #expect(try fixture.subscription?.state.pastDueSince == Self.failedAt, "\(version)")
            #expect(try fixture.event("evt_TgShapeInvoicePartial").note?.contains("not paid in full") == true)
            try fixture.deliver(try Self.payload(version, "invoice.paid"))
            #expect(try applier.applyPending().applied == 1)
            #expect(try fixture.subscription?.state.pastDueSince == nil, "\(version)")
        }
    }

    /// Where a failed payment's reason is: the PaymentIntent's `last_payment_error` when the
    /// payload carries it expanded (before basil at `payment_intent`, from basil on under
    /// `payments`), else the finalization error.
    @Test func theFailureReasonIsReadInEitherShape() throws {
        func object(_ json: String) throws -> StripeObject { try #require(StripeObject.parse(Array(json.utf8))) }
        let declined = #"{"last_payment_error": {"message": "Your card was declined."}}"#
        let old = try object(#"{"payment_intent": \#(declined), "last_finalization_error": null}"#)
        let new = try object(#"{"payments": {"object": "list", "data": [{"payment": {"type": "payment_intent", "payment_intent": \#(declined)}}]}}"#)
        #expect(StripeEventHandlers.invoiceFailureReason(old) == "Your card was declined.")
        #expect(StripeEventHandlers.invoiceFailureReason(new) == "Your card was declined.")
        #expect(StripeEventHandlers.invoiceFailureReason(try object(#"{"payment_intent": "pi_1", "last_finalization_error": {"message": "No tax id"}}"#))
                == "No tax id")
        #expect(StripeEventHandlers.invoiceFailureReason(try object(#"{"payment_intent": "pi_1"}"#)) == nil)
        #expect(StripeEventHandlers.invoiceIsPaid(try object(#"{"paid": true, "status": "paid"}"#)))
        #expect(!StripeEventHandlers.invoiceIsPaid(try object(#"{"paid": false, "status": "open"}"#)))
        #expect(StripeEventHandlers.invoiceIsPaid(try object(#"{"status": "paid", "amount_remaining": 0}"#)))
        #expect(!StripeEventHandlers.invoiceIsPaid(try object(#"{"status": "open", "amount_remaining": 100}"#)))
        #expect(StripeEventHandlers.invoiceIsPaid(try object(#"{"id": "in_1"}"#)), "a payload without any of them is taken at its type's word")
    }
}
