import Foundation
import Testing
import Tollgate
import TollgateMail
import TollgateStore
import TollgateTestSupport
@testable import TollgateCore
@testable import TollgateOutbox

@Suite struct OutboxWorkerTests {
    @Test(arguments: Backend.allCases)
    func sendsRenderedMailAndRecordsTheProviderIdAndTime(backend: Backend) throws {
        let fixture = try OutboxFixture(backend)
        try fixture.enqueue(to: "ada@example.com", key: "payment_failed:in_9:1")
        let report = try fixture.worker().sendDue()
        #expect(report.sent == 1)
        let mail = try #require(fixture.transport.sent.first)
        #expect(mail.subject.contains("INV-1") || mail.text.contains("INV-1"))
        #expect(mail.text.contains("Acme Analytics"), "brand from the configuration")
        #expect(mail.text.contains("https://acme.example/billing"), "default link from TOLLGATE_APP_URL")
        #expect(mail.from.address == "billing@acme.example" && mail.dedupeKey == "payment_failed:in_9:1")
        let sent = try #require(try fixture.messages(.sent).first)
        #expect(sent.providerMessageID == "prov-payment_failed:in_9:1")
        #expect(sent.sentAt != nil && sent.attempts == 1)
    }

    @Test(arguments: Backend.allCases)
    func transientFailuresAreRetriedThenDeadWithTheReason(backend: Backend) throws {
        let fixture = try OutboxFixture(backend, environment: ["TOLLGATE_MAIL_MAX_ATTEMPTS": "3"])
        try fixture.enqueue(to: "later@example.com")
        fixture.transport.fail("later@example.com", with: MailError(code: .temporaryFailure, message: "451 try again later", status: 451))
        let clock = ManualClock()
        let worker = try fixture.worker(clock: clock.wallClock)
        #expect(try worker.sendDue().retried == 1)  // retry delay 0: due again from the next millisecond
        var message = try #require(try fixture.messages().first)
        #expect(message.status == .pending && message.attempts == 1 && message.lastError?.contains("451") == true)
        #expect(try worker.sendDue().total == 0, "not due again within the same millisecond")
        clock.advance(by: 0.001)
        #expect(try worker.sendDue().retried == 1)
        clock.advance(by: 0.001)
        #expect(try worker.sendDue().dead == 1)
        message = try #require(try fixture.messages().first)
        #expect(message.status == .dead && message.attempts == 3)
        #expect(message.lastError?.contains("gave up after 3 attempts") == true)
        #expect(fixture.transport.sent.isEmpty)
    }

    /// A pass sends what was due when it began: a mail it puts back due at once (zero backoff) is
    /// left for the next pass, even when every instant the pass sees is in one millisecond (the
    /// store keeps milliseconds; the clock here never moves within a pass). Pass k meets the k
    /// mails queued so far, each exactly once.
    @Test(arguments: Backend.allCases)
    func aPassAttemptsEachMailOnceEvenWhenItIsDueAgainAtOnce(backend: Backend) throws {
        let fixture = try OutboxFixture(backend, environment: ["TOLLGATE_MAIL_MAX_ATTEMPTS": "100"])
        let clock = ManualClock()
        let worker = try fixture.worker(clock: clock.wallClock)
        for pass in 1...40 {
            clock.advance(by: 1)  // the mail put back by the last pass is due; so is the one queued now
            let address = "later\(pass)@example.com"
            fixture.transport.fail(address, with: MailError(code: .temporaryFailure, message: "451 try again later", status: 451))
            try fixture.enqueue(to: address)
            let report = try worker.sendDue()
            #expect(report.retried == pass && report.total == pass, "pass \(pass): \(report)")
        }
        #expect(try fixture.messages().map(\.attempts).sorted() == Array(1...40))
    }

    @Test(arguments: Backend.allCases)
    func aRefusedRecipientIsDeadAndSuppressedAsAHardBounce(backend: Backend) throws {
        let fixture = try OutboxFixture(backend)
        try fixture.enqueue(to: "Nobody@Example.com")
        fixture.transport.fail("Nobody@Example.com", with: MailError(code: .recipientRejected, message: "550 5.1.1 mailbox unavailable", status: 550))
        #expect(try fixture.worker().sendDue().dead == 1)
        #expect(try fixture.services.suppressions.find("nobody@example.com")?.reason == .hardBounce)
        // The next mail to the address is skipped with a visible status, not sent.
        try fixture.enqueue(to: "nobody@example.com")
        fixture.transport.heal("Nobody@Example.com")
        #expect(try fixture.worker().sendDue().suppressed == 1)
        let skipped = try #require(try fixture.messages(.suppressed).first)
        #expect(skipped.note == "suppressed: hard_bounce" && skipped.attempts == 0)
        #expect(fixture.transport.sent.isEmpty)
        // Lifted: an operator's retry sends it.
        #expect(try fixture.services.suppressions.remove("NOBODY@example.com"))
        try fixture.services.outbox.retry(id: skipped.id)
        #expect(try fixture.worker().sendDue().sent == 1)
    }

    @Test(arguments: Backend.allCases)
    func aMailThatCannotBeRenderedIsDeadWithTheTemplateError(backend: Backend) throws {
        let fixture = try OutboxFixture(backend)
        try fixture.enqueue(template: "no_such_mail")
        #expect(try fixture.worker().sendDue().dead == 1)
        #expect(try fixture.messages(.dead).first?.lastError?.contains("no_such_mail") == true)
    }

    @Test(arguments: Backend.allCases)
    func anExpiredLeaseIsClaimedAgainAndTheLateOwnerWritesNothing(backend: Backend) throws {
        let fixture = try OutboxFixture(backend)
        try fixture.enqueue(to: "ada@example.com")
        let store = fixture.services.outbox
        let crashed = try store.claim(owner: "crashed-worker", limit: 10, lease: 0.05, now: Date())
        #expect(crashed.count == 1)
        #expect(try store.claim(owner: "other", limit: 10, lease: 60, now: Date()).isEmpty, "held by the lease")
        Thread.sleep(forTimeInterval: 0.1)
        #expect(try fixture.worker().sendDue().sent == 1)
        let late = try store.finish(id: crashed[0].id, owner: "crashed-worker", outcome: .dead(error: "late"), now: Date())
        #expect(late == false)
        let message = try #require(try fixture.messages().first)
        #expect(message.status == .sent && message.attempts == 2)
    }

    @Test(arguments: Backend.allCases)
    func aRecipientOverTheCapWaitsWithoutLosingAnAttempt(backend: Backend) throws {
        let fixture = try OutboxFixture(backend, environment: ["TOLLGATE_MAIL_RECIPIENT_RATE": "1/3600:2"])
        for _ in 0..<4 { try fixture.enqueue(to: "busy@example.com") }
        try fixture.enqueue(to: "calm@example.com")
        let report = try fixture.worker().sendDue()
        #expect(report.sent == 3 && report.deferred == 2)
        let waiting = try fixture.messages(.pending)
        #expect(waiting.count == 2)
        #expect(waiting.allSatisfy { $0.attempts == 0 && $0.note?.hasPrefix("waiting: recipient over") == true && $0.availableAt > Date() })
    }

    @Test(arguments: Backend.allCases)
    func twoWorkersOnOneStoreSendEachMailOnce(backend: Backend) throws {
        let fixture = try OutboxFixture(backend)
        for index in 0..<120 { try fixture.enqueue(to: "user\(index)@example.com", key: "bulk:\(index)") }
        let first = try fixture.worker(options: .init(batchSize: 7))
        let second = try fixture.worker(options: .init(batchSize: 7))
        let reports = ThreadSafeList<Int>()
        ConcurrentThreads.run(2) { index in
            let report = try? (index == 0 ? first : second).sendDue(owner: "worker-\(index)")
            reports.append(report?.sent ?? -1)
        }
        #expect(reports.values.reduce(0, +) == 120)
        let keys = fixture.transport.sent.map(\.dedupeKey)
        #expect(keys.count == 120 && Set(keys).count == 120)
        #expect(try fixture.messages(.sent).count == 100)  // one page
    }
}
