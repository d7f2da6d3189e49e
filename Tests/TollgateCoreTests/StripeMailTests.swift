import Foundation
import Testing
@testable import TollgateBilling
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateMail
@testable import TollgateOutbox
import TollgateStore
import TollgateTestSupport

/// Stripe's events queue their mails in the event's transaction, once per change, however often
/// the event is delivered or replayed.
@Suite struct StripeMailTests {
    private func outbox(_ fixture: WebhookFixture) throws -> [OutboxMessage] {
        try fixture.services.outbox.list(page: try PageRequest(limit: 100)).items
    }

    @Test(arguments: Backend.allCases)
    func subscriptionTrialAndPaymentFailureQueueTheirMailsOnce(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        let applier = fixture.applier()
        try fixture.deliver("customer.subscription.created.new-shape")
        try fixture.deliver("customer.subscription.trial_will_end.new-shape")
        try fixture.deliver("invoice.payment_failed.new-shape")
        #expect(try applier.applyPending().applied == 3)
        var mails = try outbox(fixture)
        #expect(mails.map(\.template).sorted() == ["payment_failed", "subscription_started", "trial_ending"])
        #expect(mails.allSatisfy { $0.recipient == "billing@acme.example" && $0.status == .pending })

        let failed = try #require(mails.first { $0.template == "payment_failed" })
        #expect(failed.dedupeKey.hasPrefix("payment_failed:") && failed.dedupeKey.hasSuffix(":1"))
        let data = try #require(try fixture.services.outbox.find(id: failed.id)).data
        #expect(data.contains("TG-0002") && data.contains("$147.00"))
        // Each mail's data is what its ``MailTemplate`` declares (the templates are checked against that).
        for mail in mails {
            let stored = try #require(try fixture.services.outbox.find(id: mail.id)).data
            let template = try #require(MailTemplate(rawValue: mail.template))
            #expect(template.undeclaredPaths(in: try JSONDecoder().decode(MustacheValue.self, from: Data(stored.utf8))).isEmpty, "\(mail.template)")
        }

        // Replayed events apply again but queue nothing new.
        for id in try fixture.services.stripeEvents.list(page: try PageRequest(limit: 100)).items.map(\.id) {
            try fixture.services.stripeEvents.replay(id: id)
        }
        _ = try applier.applyPending()
        mails = try outbox(fixture)
        #expect(mails.count == 3)
    }

    @Test(arguments: Backend.allCases)
    func aHandlerThatFailsAfterQueuingLeavesNoMail(backend: Backend) throws {
        let fixture = try WebhookFixture(backend)
        struct Boom: Error {}
        let failing = StripeEventHandler { event, context in
            _ = try StripeSubscriptionMirror.apply(event, context)
            throw Boom()
        }
        let applier = fixture.applier(.init(maxAttempts: 1), overriding: ["customer.subscription.created": failing])
        try fixture.deliver("customer.subscription.created.new-shape")
        #expect(try applier.applyPending().failed == 1)
        #expect(try outbox(fixture).isEmpty)
        #expect(try fixture.subscription == nil)
    }
}
