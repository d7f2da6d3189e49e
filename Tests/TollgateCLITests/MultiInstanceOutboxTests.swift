import Foundation
import Testing
import TollgateCore
import TollgateMail
import TollgateOutbox
import TollgateStore
import TollgateTestSupport
import TollgateBase

/// Two `tollgate serve` processes with outbox workers on one PostgreSQL, sending to the aiosmtpd
/// peer; one is killed with SIGKILL mid-batch and the other drains the queue (issue 11, "what held").
///
/// PostgreSQL only: it is the store several instances share (`FOR UPDATE SKIP LOCKED` claims).
/// SQLite is single-instance by design; `OutboxCrashTests` covers a kill and restart of one
/// instance on both backends.
@Suite struct MultiInstanceOutboxTests {
    static let total = 300
    static let workersPerInstance = 2

    /// 300 mails queued before two instances start (2 worker threads each, one provider rate of
    /// 100/s shared through the store). Instance A is killed with SIGKILL once 60 are sent and while
    /// it holds claimed mail; B alone finishes, reclaiming A's mail when A's leases run out.
    /// Afterwards every mail is `sent` and delivered at least once; a mail delivered twice was one
    /// A had claimed (in flight) at the kill and was claimed again; and there are at most as many
    /// duplicates as A had worker threads (only a mail between its SMTP send and its recorded
    /// outcome can go out twice).
    @Test func killedInstanceMidBatchLosesNothingAndDuplicatesOnlyItsMailInFlight() throws {
        guard let peer = SMTPPeer.require() else { return }
        let store = try TestDatabase.make(.postgres)
        let run = UUID().uuidString.lowercased().prefix(8)
        let environment = TollgateBinary.environment(databaseURL: store.url, extra: [
            "TOLLGATE_MAIL_URL": "smtp://127.0.0.1:\(peer.plainPort)?tls=none", "TOLLGATE_MAIL_FROM": "Acme <billing@acme.example>",
            "TOLLGATE_APP_URL": "https://acme.example", "TOLLGATE_TEMPLATES_DIR": TestDatabase.repositoryRoot + "/templates",
            // One provider rate for both instances, slow enough that the kill lands mid-batch.
            "TOLLGATE_RATE_LIMIT_BACKEND": "store", "TOLLGATE_MAIL_RATE": "100/1:1", "TOLLGATE_MAIL_RECIPIENT_RATE": "off",
            "TOLLGATE_MAIL_WORKERS": String(Self.workersPerInstance),
            // Longer than any one send under load (so only A's mail is ever reclaimed), short enough to drain quickly.
            "TOLLGATE_MAIL_LEASE_SECONDS": "5",
        ])
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
        let recipients = (0..<Self.total).map { "multi+\(run)-\($0)@example.com" }
        try store.database.transaction { connection in
            for (index, recipient) in recipients.enumerated() {
                let data: MustacheValue = ["customer": ["name": .string("Customer \(index)")], "plan": ["name": "Pro"], "invoice": ["number": .string("INV-\(index)"), "amount": "$9.00"]]
                try Outbox.enqueue(OutboxMail(.paymentFailed, to: recipient, data: data, dedupeKey: "multi:\(run):\(index)"), on: connection)
            }
        }
        let outbox = OutboxStore(database: store.database)
        /// Recipients of the mail `pid`'s workers hold (owner `host:pid:…`).
        func claimed(by pid: pid_t) throws -> [String] {
            try store.database.withConnection { connection in
                try connection.query("""
                    SELECT recipient FROM outbox_messages WHERE status = 'sending' AND lease_owner LIKE \("%:\(pid):%")
                    """).map { try $0.get("recipient") }
            }
        }

        let first = try ServeChild(environment: environment)
        let second = try ServeChild(environment: environment)
        #expect(first.waitUntilListening(), "\(first.log)")
        #expect(second.waitUntilListening(), "\(second.log)")
        let midBatch = eventually(timeout: .seconds(60), poll: .milliseconds(50)) {
            ((try? outbox.counts()[.sent] ?? 0) ?? 0) >= 60 && !((try? claimed(by: first.child.pid)) ?? []).isEmpty
        }
        #expect(midBatch, "60 sent and A holds claimed mail: \((try? outbox.counts()) ?? [:])")
        first.child.signal(SIGKILL)
        #expect(first.child.waitForExit(timeout: .seconds(10)) == 128 + SIGKILL)
        // A's claims end with their lease (5 s from the claim), so this reads them as they stood at the kill.
        let inFlight = Set(try claimed(by: first.child.pid))
        let sentAtKill = try outbox.counts()[.sent] ?? 0
        #expect(sentAtKill < Self.total, "killed mid-run")

        #expect(eventually(timeout: .seconds(90), poll: .milliseconds(50)) { (try? outbox.counts()[.sent]) == Self.total },
                "every mail ends sent: \((try? outbox.counts()) ?? [:])")
        second.child.signal(SIGTERM)
        #expect(second.child.waitForExit(timeout: .seconds(20)) == 0, "\(second.log.suffix(2000))")

        let deliveries = try peer.allDeliveries().flatMap(\.rcpt_tos).filter { $0.hasPrefix("multi+\(run)-") }
        var times: [String: Int] = [:]
        for recipient in deliveries { times[recipient, default: 0] += 1 }
        let missing = Set(recipients).subtracting(times.keys)
        let duplicated = Set(times.filter { $0.value > 1 }.keys)
        let duplicates = deliveries.count - times.count
        #expect(missing.isEmpty, "lost: \(missing.sorted().prefix(5))")
        #expect(duplicated.isSubset(of: inFlight), "delivered twice but not in flight at the kill: \(duplicated.subtracting(inFlight).sorted())")
        #expect(duplicates <= Self.workersPerInstance, "\(duplicates) duplicates with \(Self.workersPerInstance) worker threads in A")
        let claimedTwice: Set<String> = try store.database.withConnection { connection in
            Set(try connection.query("SELECT recipient FROM outbox_messages WHERE attempts > 1 AND dedupe_key LIKE \("multi:\(run):%")")
                .map { try $0.get("recipient") })
        }
        #expect(duplicated.isSubset(of: claimedTwice), "a duplicate is a mail claimed again after its lease ran out")
        #expect(claimedTwice.isSubset(of: inFlight), "only A's mail was reclaimed: \(claimedTwice.subtracting(inFlight).sorted().prefix(5))")
        print("multi-instance outbox: \(Self.total) mails, \(sentAtKill) sent at the SIGKILL of A, \(inFlight.count) claimed by A then, "
            + "\(claimedTwice.count) claimed again by B, \(duplicates) duplicates, \(missing.count) lost")
    }
}
