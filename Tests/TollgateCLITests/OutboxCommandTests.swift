import Foundation
import Testing
import TollgateCore
import TollgateMail
import TollgateOutbox
import TollgateStore
import TollgateTestSupport
import TollgateBase

/// `tollgate outbox …` and `tollgate suppressions …` in-process, on the real store.
@Suite struct OutboxCommandTests {
    private func json(_ result: TollgateBinary.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any], "\(result.standardOutput)")
    }

    /// Queues a mail to `address` created `age` seconds ago; `status` other than pending is set
    /// the way the worker leaves it. Returns its id.
    private func queue(_ store: TestDatabase, _ address: String, age: TimeInterval, status: String = "pending", changedDaysAgo: Double = 0) throws -> String {
        let mail = OutboxMail(.paymentFailed, to: address, data: ["next_attempt": "March 1, 2026"], dedupeKey: "payment_failed:\(address)")
        return try store.database.transaction { connection in
            #expect(try Outbox.enqueue(mail, on: connection, now: Date().addingTimeInterval(-age)))
            let id: String = try #require(try connection.queryFirst("SELECT id FROM outbox_messages WHERE recipient = \(address)")).get("id")
            if status != "pending" {
                try connection.execute("""
                    UPDATE outbox_messages SET status = \(status), attempts = 8, last_error = '550 5.1.1 mailbox unavailable',
                        updated_at = \(Date().addingTimeInterval(-changedDaysAgo * 86_400)) WHERE id = \(id)
                    """)
            }
            return id
        }
    }

    @Test(arguments: Backend.allCases)
    func operatorListsShowsRetriesAndPurgesMail(backend: Backend) throws {
        let store = try TestDatabase.make(backend)
        defer { withExtendedLifetime(store) {} }
        let environment = TollgateBinary.environment(databaseURL: store.url)
        func tollgate(_ arguments: String...) -> TollgateBinary.Result { InProcessCLI.run(arguments, environment: environment) }
        #expect(tollgate("migrate").status == 0)
        let old = try queue(store, "old@example.com", age: 40, status: "dead", changedDaysAgo: 10)
        let recent = try queue(store, "recent@example.com", age: 30, status: "dead")
        let retried = try queue(store, "retried@example.com", age: 20, status: "dead")
        let pending = try queue(store, "pending@example.com", age: 10)

        let dead = tollgate("outbox", "list", "--status", "dead")
        #expect(dead.status == 0, "\(dead.standardError)")
        #expect([old, recent, retried].allSatisfy { dead.standardOutput.contains($0) } && !dead.standardOutput.contains(pending))
        #expect(dead.standardOutput.contains("550 5.1.1 mailbox unavailable"))
        let page = try json(tollgate("outbox", "list", "--json", "--limit", "3"))
        #expect((page["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [pending, retried, recent])
        #expect(page["has_more"] as? Bool == true)
        let more = tollgate("outbox", "list", "--limit", "3", "--starting-after", recent)
        #expect(more.standardOutput.contains(old) && !more.standardOutput.contains(pending))

        let shown = tollgate("outbox", "show", recent)
        #expect(shown.status == 0 && shown.standardOutput.contains("recent@example.com") && shown.standardOutput.contains("dead"))
        #expect(shown.standardOutput.contains("\"next_attempt\" : \"March 1, 2026\""), "template data pretty-printed: \(shown.standardOutput)")
        let shownJSON = try json(tollgate("outbox", "show", recent, "--json"))
        #expect(shownJSON["status"] as? String == "dead" && (shownJSON["data"] as? [String: Any])?["next_attempt"] as? String == "March 1, 2026")
        let missing = tollgate("outbox", "show", "msg_nope")
        #expect(missing.status == 1 && missing.standardError.contains("msg_nope"))

        let again = try json(tollgate("outbox", "retry", retried, "--json"))
        #expect(again["status"] as? String == "pending" && again["attempts"] as? Int == 0)
        let refused = tollgate("outbox", "retry", pending)
        #expect(refused.status == 1 && refused.standardError.contains("only dead or suppressed"), "\(refused.standardError)")

        #expect(tollgate("outbox", "purge").status == 2, "purge must say what it purges")
        #expect(tollgate("outbox", "purge", "--dead", "--older-than", "soon").status == 2)
        #expect(try json(tollgate("outbox", "purge", "--dead", "--older-than", "7", "--yes", "--json"))["purged"] as? Int == 1)
        let purged = tollgate("outbox", "purge", "--dead", "--yes")
        #expect(purged.status == 0 && purged.standardOutput.contains("Purged 1 dead message."), "\(purged.standardOutput)")
        let stats = try json(tollgate("outbox", "stats", "--json"))
        #expect(stats["pending"] as? Int == 2 && stats["dead"] as? Int == 0 && stats["sent"] as? Int == 0)
        #expect(tollgate("outbox", "show", old).status == 1 && tollgate("outbox", "show", retried).status == 0)

        #expect(tollgate("outbox", "list", "--status", "bogus").status == 2)
        #expect(tollgate("outbox", "retry").status == 2)
        let help = tollgate("outbox", "--help")
        #expect(help.status == 0 && ["list", "show", "retry", "purge", "stats"].allSatisfy { help.standardOutput.contains($0) })
        #expect(tollgate("outbox", "purge", "--help").standardOutput.contains("--older-than DAYS"))
    }

    @Test(arguments: Backend.allCases)
    func operatorManagesTheSuppressionList(backend: Backend) throws {
        let store = try TestDatabase.make(backend)
        defer { withExtendedLifetime(store) {} }
        let environment = TollgateBinary.environment(databaseURL: store.url)
        func tollgate(_ arguments: String...) -> TollgateBinary.Result { InProcessCLI.run(arguments, environment: environment) }
        #expect(tollgate("migrate").status == 0)

        let added = tollgate("suppressions", "add", "Ann@Example.com", "--reason", "complaint", "--note", "pressed spam")
        #expect(added.status == 0 && added.standardOutput.contains("ann@example.com is suppressed (complaint)"), "\(added.standardError)")
        let manual = try json(tollgate("suppressions", "add", "bob@example.com", "--json"))
        #expect(manual["address"] as? String == "bob@example.com" && manual["reason"] as? String == "manual")
        let kept = tollgate("suppressions", "add", "ann@example.com", "--reason", "manual")
        #expect(kept.status == 0 && kept.standardOutput.contains("already suppressed (complaint"))
        #expect(tollgate("suppressions", "add", "not-an-address").status == 1)
        #expect(tollgate("suppressions", "add", "c@example.com", "--reason", "spam").status == 2)

        let listed = tollgate("suppressions", "list")
        #expect(listed.standardOutput.contains("ann@example.com") && listed.standardOutput.contains("pressed spam"))
        let listing = try json(tollgate("suppressions", "list", "--json", "--limit", "1"))
        #expect((listing["data"] as? [[String: Any]])?.map { $0["address"] as? String } == ["ann@example.com"])
        #expect(listing["has_more"] as? Bool == true)

        #expect(tollgate("suppressions", "remove", "ANN@example.com").status == 0)
        let absent = tollgate("suppressions", "remove", "ann@example.com")
        #expect(absent.status == 1 && absent.standardError.contains("suppression ann@example.com not found"))
        #expect(tollgate("suppressions", "remove").status == 2)
        let rest = try json(tollgate("suppressions", "list", "--json"))
        #expect((rest["data"] as? [[String: Any]])?.map { $0["address"] as? String } == ["bob@example.com"])
    }
}
