import Foundation
import Testing
import TollgateCore
import TollgateEntitlements
import TollgateMail
import TollgateOutbox
import TollgateStore
import TollgateTestSupport
import TollgateBase

/// The admin API over the outbox and the suppression list, on mail the real worker sent, gave up
/// on or skipped (its transport scripted to refuse some recipients).
@Suite struct OutboxEndpointTests {
    /// Refuses the `refused` addresses for good (a 550), accepts the rest.
    struct ScriptedTransport: MailTransport {
        let refused: Set<String>

        func send(_ mail: OutgoingMail) throws(MailError) -> SentMail {
            if refused.contains(mail.to.address) { throw MailError(code: .permanentFailure, message: "550 5.1.1 mailbox unavailable", status: 550) }
            return SentMail(providerMessageID: "<sent-\(mail.to.address)>", sentAt: Date())
        }
    }

    private func prepared(_ backend: Backend) throws -> APIHarness {
        try APIHarness(backend, environment: [
            "TOLLGATE_MAIL_URL": "file://" + FileManager.default.temporaryDirectory.appendingPathComponent("outbox-api-\(UUID().uuidString)").path,
            "TOLLGATE_MAIL_FROM": "Tollgate <billing@example.com>", "TOLLGATE_APP_URL": "https://app.example.com",
            "TOLLGATE_MAIL_RATE": "off", "TOLLGATE_MAIL_RECIPIENT_RATE": "off", "TOLLGATE_TEMPLATES_DIR": TestDatabase.repositoryRoot + "/templates",
        ])
    }

    /// Queues a `payment_failed` mail to `address`, created `age` seconds ago.
    private func enqueue(_ harness: APIHarness, _ address: String, age: TimeInterval) throws {
        let mail = OutboxMail(
            .paymentFailed, to: address, toName: "Ada", data: ["customer": ["name": "Ada"], "invoice": ["amount": "$49.00"]],
            dedupeKey: "payment_failed:\(address)")
        try harness.services.database.transaction { connection in
            let queued = try Outbox.enqueue(mail, on: connection, now: Date().addingTimeInterval(-age))
            #expect(queued)
        }
    }

    /// Runs the worker once over every due mail.
    @discardableResult
    private func deliver(_ harness: APIHarness, refusing refused: Set<String> = []) throws -> OutboxWorker.Report {
        let settings = try #require(harness.services.configuration.mail)
        let worker = OutboxWorker(
            database: harness.services.database, settings: settings, templates: try harness.services.configuration.mailTemplates(),
            rateLimits: harness.services.rateLimits.backend, makeTransport: { ScriptedTransport(refused: refused) })
        return try worker.sendDue()
    }

    private func ids(_ response: TestResponse) throws -> [String] {
        try #require(try response.json()["data"] as? [[String: Any]]).compactMap { $0["id"] as? String }
    }

    private func messageID(_ harness: APIHarness, _ address: String) throws -> String {
        let all = try harness.services.outbox.list(page: PageRequest(limit: 100)).items
        return try #require(all.first { $0.recipient == address }).id
    }

    @Test(arguments: Backend.allCases)
    func adminListsShowsRetriesAndPurgesMail(backend: Backend) throws {
        let harness = try prepared(backend)
        let admin = try harness.token(.admin)
        try enqueue(harness, "ok@example.com", age: 50)
        #expect(try deliver(harness).sent == 1)
        for (index, address) in ["b@example.com", "c@example.com", "d@example.com"].enumerated() {
            try enqueue(harness, address, age: Double(40 - index * 10))
        }
        #expect(try deliver(harness, refusing: ["b@example.com", "c@example.com", "d@example.com"]).dead == 3)
        try enqueue(harness, "later@example.com", age: 5)
        let (ok, b, c, d, later) = (
            try messageID(harness, "ok@example.com"), try messageID(harness, "b@example.com"), try messageID(harness, "c@example.com"),
            try messageID(harness, "d@example.com"), try messageID(harness, "later@example.com"))

        // By status, and every page in turn, newest first.
        let dead = try harness.get("/v1/outbox?status=dead", token: admin)
        #expect(dead.status == 200, "\(dead.text)")
        #expect(try ids(dead) == [d, c, b])
        let deadRows = try #require(try dead.json()["data"] as? [[String: Any]])
        #expect(deadRows.allSatisfy { ($0["last_error"] as? String)?.contains("550") == true && $0["status"] as? String == "dead" })
        let first = try harness.get("/v1/outbox?limit=3", token: admin)
        #expect(try ids(first) == [later, d, c] && first.json()["has_more"] as? Bool == true)
        let rest = try harness.get("/v1/outbox?limit=3&starting_after=\(c)", token: admin)
        #expect(try ids(rest) == [b, ok] && rest.json()["has_more"] as? Bool == false)
        #expect(try harness.get("/v1/outbox?status=bogus", token: admin).status == 400)
        #expect(try harness.get("/v1/outbox?starting_after=msg_nope", token: admin).status == 400)

        let shown = try harness.get("/v1/outbox/\(b)", token: admin).json()
        #expect(shown["status"] as? String == "dead" && shown["recipient"] as? String == "b@example.com")
        #expect(shown["template"] as? String == "payment_failed" && shown["attempts"] as? Int == 1)
        #expect(((shown["data"] as? [String: Any])?["invoice"] as? [String: Any])?["amount"] as? String == "$49.00")
        let sent = try harness.get("/v1/outbox/\(ok)", token: admin).json()
        #expect(sent["status"] as? String == "sent" && sent["provider_message_id"] as? String == "<sent-ok@example.com>")
        #expect(try harness.get("/v1/outbox/msg_nope", token: admin).status == 404)

        // Retry: dead → pending with no attempts; anything else is a conflict.
        let retried = try harness.send("POST", "/v1/outbox/\(b)/retry", token: admin)
        #expect(retried.status == 200, "\(retried.text)")
        #expect(try retried.json()["status"] as? String == "pending" && retried.json()["attempts"] as? Int == 0)
        for id in [later, ok, b] {
            let refused = try harness.send("POST", "/v1/outbox/\(id)/retry", token: admin)
            #expect(refused.status == 409 && refused.errorCode == "conflict", "\(id): \(refused.text)")
        }
        #expect(try harness.send("POST", "/v1/outbox/msg_nope/retry", token: admin).status == 404)

        // Purge: only dead mail, optionally only the long dead.
        try harness.services.database.withConnection { connection in
            try connection.execute("UPDATE outbox_messages SET updated_at = \(Date().addingTimeInterval(-10 * 86_400)) WHERE id = \(c)")
        }
        let old = try harness.send("POST", "/v1/outbox/purge", token: admin, body: Array(#"{"status": "dead", "older_than_days": 7}"#.utf8))
        #expect(old.status == 200, "\(old.text)")
        #expect(try old.json()["purged"] as? Int == 1)
        #expect(try harness.get("/v1/outbox/\(c)", token: admin).status == 404)
        #expect(try harness.get("/v1/outbox/\(d)", token: admin).status == 200)
        let all = try harness.send("POST", "/v1/outbox/purge", token: admin, body: Array(#"{"status": "dead"}"#.utf8))
        #expect(try all.json()["purged"] as? Int == 1)
        #expect(try ids(harness.get("/v1/outbox", token: admin)) == [later, b, ok], "pending and sent mail stay")
        for body in [#"{"status": "sent"}"#, #"{"status": "dead", "older_than_days": -1}"#, #"{"older_than_days": 1}"#] {
            let refused = try harness.send("POST", "/v1/outbox/purge", token: admin, body: Array(body.utf8))
            #expect(refused.status == 400, "\(body): \(refused.text)")
        }
        #expect(try harness.services.outbox.counts() == [.pending: 2, .sent: 1])

        // Admin scope only.
        let reader = try harness.token(.read)
        let writer = try harness.token(.write)
        #expect(try harness.get("/v1/outbox", token: reader).status == 403)
        #expect(try harness.get("/v1/outbox/\(b)", token: writer).status == 403)
        #expect(try harness.send("POST", "/v1/outbox/purge", token: reader, body: Array(#"{"status": "dead"}"#.utf8)).status == 403)
        #expect(try harness.send("POST", "/v1/outbox/\(b)/retry", token: writer).status == 403)
        #expect(try harness.get("/v1/outbox").status == 401)
    }

    @Test(arguments: Backend.allCases)
    func adminManagesTheSuppressionListTheWorkerHonours(backend: Backend) throws {
        let harness = try prepared(backend)
        let admin = try harness.token(.admin)
        func add(_ body: String) throws -> TestResponse {
            try harness.send("POST", "/v1/suppressions", token: admin, body: Array(body.utf8))
        }
        let added = try add(#"{"address": "Bounce@Example.com", "reason": "hard_bounce", "note": "550 from mx"}"#)
        #expect(added.status == 201, "\(added.text)")
        #expect(try added.json()["address"] as? String == "bounce@example.com" && added.json()["reason"] as? String == "hard_bounce")
        let again = try add(#"{"address": "bounce@example.com", "reason": "complaint"}"#)
        #expect(try again.status == 200 && again.json()["reason"] as? String == "hard_bounce", "the first entry is kept")
        let manual = try add(#"{"address": "ann@example.com"}"#)
        #expect(try manual.status == 201 && manual.json()["reason"] as? String == "manual")
        for body in [#"{"address": "not-an-address"}"#, #"{"address": "x@example.com", "reason": "spam"}"#, #"{"reason": "manual"}"#] {
            let refused = try add(body)
            #expect(refused.status == 400, "\(body): \(refused.text)")
        }
        #expect(try add(#"{"address": "not-an-address"}"#).errorCode == "invalid_request")

        let page = try harness.get("/v1/suppressions?limit=1", token: admin).json()
        #expect((page["data"] as? [[String: Any]])?.map { $0["address"] as? String } == ["ann@example.com"])
        #expect(page["has_more"] as? Bool == true)
        let next = try harness.get("/v1/suppressions?limit=1&starting_after=ann@example.com", token: admin).json()
        let entry = try #require((next["data"] as? [[String: Any]])?.first)
        #expect(entry["address"] as? String == "bounce@example.com" && entry["note"] as? String == "550 from mx")
        #expect(next["has_more"] as? Bool == false)

        // The worker skips a suppressed address; removing it and retrying sends the mail.
        try enqueue(harness, "bounce@example.com", age: 1)
        #expect(try deliver(harness).suppressed == 1)
        let id = try messageID(harness, "bounce@example.com")
        #expect(try ids(harness.get("/v1/outbox?status=suppressed", token: admin)) == [id])
        #expect(try harness.send("DELETE", "/v1/suppressions/Bounce@Example.com", token: admin).status == 204)
        let gone = try harness.send("DELETE", "/v1/suppressions/bounce@example.com", token: admin)
        #expect(gone.status == 404 && gone.errorCode == "not_found")
        #expect(try harness.send("DELETE", "/v1/suppressions/nobody", token: admin).status == 400)
        #expect(try harness.send("POST", "/v1/outbox/\(id)/retry", token: admin).status == 200)
        #expect(try deliver(harness).sent == 1)
        #expect(try harness.get("/v1/outbox/\(id)", token: admin).json()["status"] as? String == "sent")

        let reader = try harness.token(.read)
        #expect(try harness.get("/v1/suppressions", token: reader).status == 403)
        #expect(try harness.send("POST", "/v1/suppressions", token: reader, body: Array(#"{"address": "z@example.com"}"#.utf8)).status == 403)
        #expect(try harness.send("DELETE", "/v1/suppressions/ann@example.com", token: reader).status == 403)
        #expect(try harness.services.suppressions.list(page: PageRequest()).items.map(\.address) == ["ann@example.com"])
    }
}
