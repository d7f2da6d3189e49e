import Foundation
import Testing
import Tollgate
@testable import TollgateBilling
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateMail
@testable import TollgateOutbox
import TollgateStore
import TollgateTestSupport

@Suite struct OutboxTests {
    struct Abort: Error {}

    @Test(arguments: Backend.allCases)
    func aChangeThatRollsBackQueuesNoMail(backend: Backend) throws {
        let fixture = try OutboxFixture(backend)
        _ = try fixture.services.customers.upsert(.init(externalID: "org_acme", email: "billing@acme.example", name: "Acme"))
        #expect(throws: Abort.self) {
            try fixture.services.database.transaction { connection in
                let customer = try #require(try CustomerRepository.find(externalID: "org_acme", on: connection))
                _ = try SubscriptionRepository.set(
                    customer: customer, SubscriptionChange(plan: "pro", status: .active), source: "test", mode: .merge,
                    observer: BillingMail.subscriptionObserver, on: connection, now: Date())
                #expect(try connection.queryFirst("SELECT COUNT(*) AS n FROM outbox_messages")?.get("n") == 1, "queued inside the transaction")
                throw Abort()
            }
        }
        #expect(try fixture.messages().isEmpty)
        #expect(try fixture.services.subscriptions.current(customer: "org_acme") == nil)
    }

    @Test(arguments: Backend.allCases)
    func oneDedupeKeyQueuesOneMail(backend: Backend) throws {
        let fixture = try OutboxFixture(backend)
        #expect(try fixture.enqueue(key: "payment_failed:in_1:1"))
        #expect(try fixture.enqueue(key: "payment_failed:in_1:1") == false)
        #expect(try fixture.enqueue(key: "payment_failed:in_1:2"))
        let messages = try fixture.messages()
        #expect(messages.count == 2)
        #expect(messages.allSatisfy { $0.status == .pending && $0.attempts == 0 })
    }

    @Test(arguments: Backend.allCases)
    func subscriptionChangesQueueStartedAndCanceledMailOnce(backend: Backend) throws {
        let fixture = try OutboxFixture(backend)
        _ = try fixture.services.customers.upsert(.init(externalID: "org_acme", email: "billing@acme.example", name: "Acme"))
        let subscriptions = fixture.services.subscriptions
        _ = try subscriptions.set(customer: "org_acme", SubscriptionChange(plan: "pro", status: .trialing), source: "test")
        _ = try subscriptions.set(customer: "org_acme", SubscriptionChange(plan: "pro", status: .active), source: "test")  // not a new start
        _ = try subscriptions.set(customer: "org_acme", SubscriptionChange(plan: "pro", status: .canceled), source: "test")
        _ = try subscriptions.set(customer: "org_acme", SubscriptionChange(plan: "pro", status: .canceled), source: "test")  // no change of state
        let templates = try fixture.messages().map(\.template).sorted()
        #expect(templates == ["subscription_canceled", "subscription_started"])
        let started = try #require(try fixture.messages().first { $0.template == "subscription_started" })
        #expect(started.recipient == "billing@acme.example")
        let detail = try #require(try fixture.services.outbox.find(id: started.id))
        #expect(detail.data.contains("\"name\":\"Pro\""))
    }

    @Test(arguments: Backend.allCases)
    func aCustomerWithoutEmailGetsNoMail(backend: Backend) throws {
        let fixture = try OutboxFixture(backend)
        _ = try fixture.services.customers.upsert(.init(externalID: "org_quiet"))
        _ = try fixture.services.subscriptions.set(customer: "org_quiet", SubscriptionChange(plan: "pro", status: .active), source: "test")
        #expect(try fixture.messages().isEmpty)
    }

    @Test func moneyAndDaysAreWrittenForPeople() {
        #expect(MailFormat.money(4900, currency: "usd") == "$49.00")
        #expect(MailFormat.money(500, currency: "jpy").contains("500"))
        #expect(!MailFormat.money(500, currency: "jpy").contains("5.00"))
        #expect(MailFormat.day(Date(timeIntervalSince1970: 1_772_841_600)) == "March 7, 2026")
    }

    @Test(arguments: Backend.allCases)
    func retryQueuesDeadMailAgainAndRefusesPendingMail(backend: Backend) throws {
        let fixture = try OutboxFixture(backend)
        try fixture.enqueue(to: "gone@example.com")
        fixture.transport.fail("gone@example.com", with: MailError(code: .permanentFailure, message: "554 no", status: 554))
        _ = try fixture.worker().sendDue()
        let dead = try #require(try fixture.messages(.dead).first)
        #expect(dead.lastError?.contains("554") == true)
        try fixture.enqueue(to: "waiting@example.com")
        let pending = try #require(try fixture.messages(.pending).first)
        #expect(throws: DomainError.self) { try fixture.services.outbox.retry(id: pending.id) }
        let retried = try fixture.services.outbox.retry(id: dead.id)
        #expect(retried.status == .pending && retried.attempts == 0 && retried.lastError == nil)
        fixture.transport.heal("gone@example.com")
        _ = try fixture.worker().sendDue()
        #expect(try fixture.messages(.sent).count == 2)
        #expect(try fixture.services.outbox.purgeDead() == 0)
    }
}
