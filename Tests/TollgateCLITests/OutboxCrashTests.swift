import Foundation
import Testing
import TollgateCore
import TollgateMail
import TollgateOutbox
import TollgateStore
import TollgateTestSupport
import TollgateBase

/// `tollgate serve` killed with SIGKILL while its outbox workers send to the aiosmtpd peer, then
/// started again: every mail arrives, and the only mail that can arrive twice is mail that was
/// claimed (in flight) at the kill.
@Suite struct OutboxCrashTests {
    @Test(arguments: Backend.allCases)
    func killedMidBatchAndRestartedLosesNothing(backend: Backend) throws {
        guard let peer = SMTPPeer.require() else { return }
        let store = try TestDatabase.make(backend)
        let run = UUID().uuidString.lowercased().prefix(8)
        let environment = TollgateBinary.environment(databaseURL: store.url, extra: [
            "TOLLGATE_MAIL_URL": "smtp://127.0.0.1:\(peer.plainPort)?tls=none", "TOLLGATE_MAIL_FROM": "Acme <billing@acme.example>",
            "TOLLGATE_APP_URL": "https://acme.example", "TOLLGATE_TEMPLATES_DIR": TestDatabase.repositoryRoot + "/templates",
            // Slow enough that the kill lands mid-batch; short leases so the restart reclaims quickly.
            "TOLLGATE_MAIL_RATE": "100/1:1", "TOLLGATE_MAIL_RECIPIENT_RATE": "off", "TOLLGATE_MAIL_WORKERS": "2",
            "TOLLGATE_MAIL_LEASE_SECONDS": "2",
        ])
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
        let total = 300
        let recipients = (0..<total).map { "crash+\(run)-\($0)@example.com" }
        try store.database.transaction { connection in
            for (index, recipient) in recipients.enumerated() {
                let data: MustacheValue = ["customer": ["name": .string("Customer \(index)")], "plan": ["name": "Pro"], "invoice": ["number": .string("INV-\(index)"), "amount": "$9.00"]]
                try Outbox.enqueue(OutboxMail(.paymentFailed, to: recipient, data: data, dedupeKey: "crash:\(run):\(index)"), on: connection)
            }
        }
        let outbox = OutboxStore(database: store.database)
        func delivered() throws -> [String] {
            try peer.allDeliveries().flatMap(\.rcpt_tos).filter { $0.hasPrefix("crash+\(run)-") }
        }

        let first = try ServeChild(environment: environment)
        #expect(first.waitUntilListening(), "\(first.log)")
        // Killed once 60 are recorded sent (a cheap store count; the peer's log is read at the end).
        #expect(eventually(timeout: .seconds(60), poll: .milliseconds(50)) { (try? outbox.counts()[.sent] ?? 0) ?? 0 >= 60 }, "the first instance sends")
        first.child.signal(SIGKILL)
        _ = first.child.waitForExit(timeout: .seconds(10))
        let inFlight = try outbox.counts()[.sending] ?? 0
        let sentBeforeRestart = try delivered().count
        #expect(sentBeforeRestart < total, "killed mid-run")

        let second = try ServeChild(environment: environment)
        #expect(second.waitUntilListening(), "\(second.log)")
        #expect(eventually(timeout: .seconds(90), poll: .milliseconds(50)) { (try? outbox.counts()[.sent]) == total }, "every mail ends sent: \((try? outbox.counts()) ?? [:])")
        second.child.signal(SIGTERM)
        #expect(second.child.waitForExit(timeout: .seconds(20)) == 0)

        let deliveries = try delivered()
        let missing = Set(recipients).subtracting(deliveries)
        let duplicates = deliveries.count - Set(deliveries).count
        #expect(missing.isEmpty, "lost: \(missing.sorted().prefix(5))")
        #expect(duplicates <= inFlight, "\(duplicates) duplicates, \(inFlight) in flight at the kill")
        // Tighter: only a mail between its send and its recorded outcome can go out twice, one per worker thread.
        #expect(duplicates <= 2, "\(duplicates) duplicates with 2 worker threads")
        print("outbox crash test (\(backend)): \(sentBeforeRestart) sent before SIGKILL, \(inFlight) in flight, \(duplicates) duplicates, \(missing.count) lost")
    }
}
