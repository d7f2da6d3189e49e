import Foundation
import Testing
import TollgateAPI
import TollgateCore
import TollgateLogging
import TollgateMail
import TollgateOutbox
import TollgateStore
import TollgateTestSupport
import TollgateBase

/// A failed command reports what the HTTP API answers for the same situation: `tollgate … --json`
/// prints the API's error body (code, message, details), on both backends. One table drives both:
/// each row is a situation, the command an operator runs and the request a client sends.
@Suite struct ErrorParityTests {
    struct Situation: Sendable, CustomTestStringConvertible {
        var name: String
        /// The code both must answer (the table's own claim, so a change on both sides still shows).
        var code: String
        var command: [String]
        var method: String
        var path: String
        var body: String?

        var testDescription: String { name }
    }

    /// `CUSTOMER` is a customer that exists, `PENDING` a queued mail that is not dead.
    static let situations: [Situation] = [
        Situation(name: "unknown customer", code: "unknown_customer",
                  command: ["entitlements", "check", "NO_SUCH", "sso"],
                  method: "GET", path: "/v1/entitlements/check?customer=NO_SUCH&feature=sso"),
        Situation(name: "unknown customer (usage)", code: "unknown_customer",
                  command: ["usage", "consume", "NO_SUCH", "exports.daily"],
                  method: "POST", path: "/v1/usage/consume", body: #"{"customer":"NO_SUCH","feature":"exports.daily","quantity":1}"#),
        Situation(name: "unknown feature", code: "unknown_feature",
                  command: ["entitlements", "check", "CUSTOMER", "no.such"],
                  method: "GET", path: "/v1/entitlements/check?customer=CUSTOMER&feature=no.such"),
        Situation(name: "unknown customer (show)", code: "unknown_customer",
                  command: ["customers", "show", "nobody"],
                  method: "GET", path: "/v1/customers/nobody"),
        Situation(name: "unknown customer (credits)", code: "unknown_customer",
                  command: ["credits", "balance", "NO_SUCH"],
                  method: "GET", path: "/v1/customers/NO_SUCH/credits"),
        Situation(name: "unknown credit pool", code: "invalid_request",
                  command: ["credits", "grant", "CUSTOMER", "no_such", "5", "--reason", "promo"],
                  method: "POST", path: "/v1/customers/CUSTOMER/credits/grants", body: #"{"pool":"no_such","amount":5,"reason":"promo"}"#),
        Situation(name: "hold not found", code: "not_found",
                  command: ["credits", "release", "CUSTOMER", "chd_nope"],
                  method: "POST", path: "/v1/customers/CUSTOMER/credits/holds/chd_nope/release"),
        Situation(name: "key not found", code: "not_found",
                  command: ["keys", "revoke", "nope", "--yes"],
                  method: "DELETE", path: "/v1/keys/nope"),
        Situation(name: "plan not found", code: "not_found",
                  command: ["plans", "show", "gold"],
                  method: "GET", path: "/v1/plans/gold"),
        Situation(name: "invalid value", code: "invalid_request",
                  command: ["customers", "upsert", "--external-id", "a b"],
                  method: "POST", path: "/v1/customers", body: #"{"external_id":"a b"}"#),
        Situation(name: "conflict", code: "conflict",
                  command: ["outbox", "retry", "PENDING"],
                  method: "POST", path: "/v1/outbox/PENDING/retry"),
        Situation(name: "Stripe not configured", code: "stripe_not_configured",
                  command: ["subscriptions", "portal", "CUSTOMER", "--return-url", "https://app.example/back"],
                  method: "POST", path: "/v1/customers/CUSTOMER/portal", body: #"{"return_url":"https://app.example/back"}"#),
        // The CLI answered these with a code of its own (`failed`) before the failures were declared once.
        Situation(name: "no subscription", code: "no_subscription",
                  command: ["subscriptions", "show", "CUSTOMER"],
                  method: "GET", path: "/v1/customers/CUSTOMER/subscription"),
        Situation(name: "event not found", code: "not_found",
                  command: ["webhooks", "show", "evt_nope"],
                  method: "GET", path: "/v1/webhooks/events/evt_nope"),
        Situation(name: "mail not found", code: "not_found",
                  command: ["outbox", "show", "msg_nope"],
                  method: "GET", path: "/v1/outbox/msg_nope"),
        Situation(name: "address not suppressed", code: "not_found",
                  command: ["suppressions", "remove", "nobody@example.com"],
                  method: "DELETE", path: "/v1/suppressions/nobody@example.com"),
        Situation(name: "page size out of range", code: "invalid_request",
                  command: ["customers", "list", "--limit", "500"],
                  method: "GET", path: "/v1/customers?limit=500"),
        Situation(name: "connection not found", code: "connection_not_found",
                  command: ["connections", "show", "con_nope"],
                  method: "GET", path: "/v1/connections/con_nope"),
    ]

    @Test(arguments: Backend.allCases)
    func jsonErrorsCarryTheAPIsCodeMessageAndDetails(backend: Backend) throws {
        let store = try TestDatabase.make(backend)
        defer { withExtendedLifetime(store) {} }
        let environment = TollgateBinary.environment(databaseURL: store.url, extra: ["TOLLGATE_LISTEN": "127.0.0.1:0"])
        func tollgate(_ arguments: [String]) -> TollgateBinary.Result { InProcessCLI.run(arguments, environment: environment) }
        #expect(tollgate(["migrate"]).status == 0)
        #expect(tollgate(["plans", "apply", TestDatabase.repositoryRoot + "/examples/catalog.json"]).status == 0)
        #expect(tollgate(["customers", "upsert", "--external-id", "org_parity"]).status == 0)
        let created = tollgate(["keys", "create", "--name", "parity", "--scope", "admin", "--json"])
        let secret = try #require(try Self.object(created.standardOutput)["secret"] as? String, "\(created.standardError)")
        let pending = try Self.queuePendingMail(store)

        // The API over the same store and configuration, in this process.
        let services = Services(
            configuration: try Configuration(environment: environment), database: store.database,
            migrationsRoot: TestDatabase.repositoryRoot + "/migrations", logger: .disabled)
        let server = APIServer(services: services, logger: .disabled)
        try server.start()
        defer { server.shutdown(timeout: .seconds(5)) }
        for situation in Self.situations {
            func filled(_ text: String) -> String {
                text.replacingOccurrences(of: "CUSTOMER", with: "org_parity").replacingOccurrences(of: "PENDING", with: pending)
            }
            var headers = [("Authorization", "Bearer \(secret)")]
            if situation.body != nil { headers.append(("Content-Type", "application/json")) }
            let response = try HTTPTestClient.request(
                port: server.port, method: situation.method, path: filled(situation.path), headers: headers,
                body: situation.body.map { Array(filled($0).utf8) })
            let api = try #require(try response.json()["error"] as? [String: Any], "\(situation.name): \(response.text)")

            let result = tollgate(situation.command.map(filled) + ["--json"])
            #expect(result.status == 1, "\(situation.name): \(result.standardError)")
            let cli = try #require(try Self.object(result.standardError)["error"] as? [String: Any], "\(situation.name): \(result.standardError)")

            #expect(api["code"] as? String == situation.code, "\(situation.name): the API answered \(response.text)")
            #expect(cli["code"] as? String == situation.code, "\(situation.name): the CLI printed \(result.standardError)")
            #expect(NSDictionary(dictionary: cli).isEqual(to: api), "\(situation.name): CLI \(result.standardError) ≠ API \(response.text)")

            let human = tollgate(situation.command.map(filled))
            #expect(human.status == 1 && human.standardError == "error: \(api["message"] as? String ?? "?")\n", "\(situation.name): \(human.standardError)")
        }
    }

    /// A command's own refusal keeps a code of its own, in the same body shape, with exit code 1.
    @Test func commandOwnErrorsUseTheSameBodyShape() throws {
        let store = try TestDatabase.make(.sqlite)
        let environment = TollgateBinary.environment(databaseURL: store.url)
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
        let folder = try TollgateBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data(#"{"features":[{"key":"calls","name":"Calls","kind":"metered"}],"plans":[]}"#.utf8)
            .write(to: URL(fileURLWithPath: folder + "/bad.json"))
        let catalog = InProcessCLI.run(["plans", "apply", folder + "/bad.json", "--json"], environment: environment)
        #expect(catalog.status == 1)
        let error = try #require(try Self.object(catalog.standardError)["error"] as? [String: Any], "\(catalog.standardError)")
        #expect(error["code"] as? String == "invalid_catalog")
        let details = try #require(error["details"] as? [[String: Any]])
        #expect(details.contains { $0["field"] as? String == "features[0].reset" }, "\(details)")

        let configuration = InProcessCLI.run(
            ["customers", "list", "--json"], environment: environment.merging(["TOLLGATE_LOG_LEVEL": "loud"]) { $1 })
        #expect(configuration.status == 1)
        let refused = try #require(try Self.object(configuration.standardError)["error"] as? [String: Any], "\(configuration.standardError)")
        #expect(refused["code"] as? String == "configuration")
        #expect((refused["details"] as? [[String: Any]])?.first?["field"] as? String == "TOLLGATE_LOG_LEVEL")

        let usage = InProcessCLI.run(["customers", "list", "--limit", "x", "--json"], environment: environment)
        #expect(usage.status == 2)
        #expect((try Self.object(usage.standardError)["error"] as? [String: Any])?["code"] as? String == "usage")
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    /// A mail waiting to be sent: retrying it is a conflict (only dead or suppressed mail is retried).
    static func queuePendingMail(_ store: TestDatabase) throws -> String {
        let mail = OutboxMail(.paymentFailed, to: "ann@example.com", data: ["next_attempt": "March 1, 2026"], dedupeKey: "parity")
        return try store.database.transaction { connection in
            #expect(try Outbox.enqueue(mail, on: connection, now: Date()))
            let id: String = try #require(try connection.queryFirst("SELECT id FROM outbox_messages WHERE dedupe_key = 'parity'")).get("id")
            return id
        }
    }
}
