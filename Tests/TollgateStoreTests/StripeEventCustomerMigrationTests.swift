import Foundation
import Testing
import TollgateLogging
import TollgateStore
import TollgateTestSupport

/// Migration 0027 fills `stripe_events.stripe_customer_id` for the events stored before it, from
/// their payloads, as intake does for new ones (`WebhookEvent.Envelope.stripeCustomerID`): the
/// customer object's own id, else the object's `customer` (an id or expanded), else its
/// `customer_account`; none otherwise.
@Suite struct StripeEventCustomerMigrationTests {
    @Test(arguments: Backend.allCases)
    func eventsStoredBeforeTheMigrationAreLinkedToTheirStripeCustomer(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        let folder = try MigrationFolder()
        let source = TestDatabase.repositoryRoot + "/migrations"
        func copy(_ include: (Int) -> Bool) throws {
            for dialect in SQLDialect.allCases {
                for file in try FileManager.default.contentsOfDirectory(atPath: source + "/" + dialect.rawValue) where file.hasSuffix(".sql") {
                    guard let version = Int(file.prefix(4)), include(version) else { continue }
                    let target = folder.root + "/" + dialect.rawValue + "/" + file
                    if !FileManager.default.fileExists(atPath: target) {
                        try FileManager.default.copyItem(atPath: source + "/" + dialect.rawValue + "/" + file, toPath: target)
                    }
                }
            }
        }
        try copy { $0 < 27 }
        let migrator = Migrator(database: test.database, root: folder.root, logger: .disabled)
        _ = try migrator.migrate()
        let objects = [
            "evt_customer": #"{"id":"cus_self","object":"customer","email":"a@example.com"}"#,
            "evt_invoice": #"{"id":"in_1","object":"invoice","customer":"cus_invoice"}"#,
            "evt_expanded": #"{"id":"sub_1","object":"subscription","customer":{"id":"cus_expanded","object":"customer"}}"#,
            "evt_account": #"{"id":"cs_1","object":"checkout.session","customer":null,"customer_account":"acct_1"}"#,
            "evt_none": #"{"object":"entitlements.active_entitlement_summary","entitlements":{"data":[]}}"#,
            "evt_escaped": #"{"id":"in_2","object":"invoice","customer":"cus_escaped","description":"nul \u0000, not nul \\u0000, \\\u0000 and \ud83d\ude00"}"#,
        ]
        let now = Date()
        try test.database.withConnection { connection in
            for (id, object) in objects {
                let payload = #"{"id":"\#(id)","object":"event","type":"x.y","created":1765000000,"data":{"object":\#(object)}}"#
                try connection.execute("""
                    INSERT INTO stripe_events (id, type, object_id, created, payload, status, attempts, next_attempt_at, received_at)
                    VALUES (\(id), 'x.y', NULL, \(now), \(payload), 'applied', 1, \(now), \(now))
                    """)
            }
        }
        try copy { $0 == 27 }
        #expect(try migrator.migrate().map(\.version) == [27])
        let linked = try test.database.withConnection { connection in
            try Dictionary(uniqueKeysWithValues: connection.query("SELECT id, stripe_customer_id FROM stripe_events").map { row throws(StoreError) in
                (try row.get("id", as: String.self), try row.get("stripe_customer_id", as: String?.self))
            })
        }
        #expect(linked == [
            "evt_customer": "cus_self", "evt_invoice": "cus_invoice", "evt_expanded": "cus_expanded", "evt_account": "acct_1",
            "evt_none": nil, "evt_escaped": "cus_escaped",
        ])
    }
}
