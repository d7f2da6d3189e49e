import Foundation
import Testing
import TollgateStore
import TollgateTestSupport

/// Remote mode (issue 18): with `TOLLGATE_API_URL` and `TOLLGATE_API_KEY` the CLI goes through the
/// HTTP API of a real `tollgate serve` instead of the store. The same command set runs both ways —
/// locally on one store, remotely against a server on a second store prepared alike — and prints
/// the same text, the same JSON, the same errors with the same exit codes, on both backends.
@Suite struct RemoteModeTests {
    /// One command line of the set; `{NAME}` is a value captured on the same side (`capture`: the
    /// `id` of the step's JSON output) or prepared there (`{MAIL}`).
    struct Step {
        var arguments: [String]
        var capture: String?

        init(_ arguments: String..., capture: String? = nil) {
            self.arguments = arguments
            self.capture = capture
        }
    }

    /// Successes and failures (not found, invalid input, conflicts), each run as text and with
    /// `--json`. The two stores see the same steps in the same order, so writes repeat alike.
    static let steps: [Step] = [
        Step("customers", "upsert", "--external-id", "org_a", "--name", "Ann", "--email", "ann@example.com", "--metadata", #"{"region":"eu"}"#),
        Step("customers", "upsert", "--external-id", "org_b"),
        Step("customers", "show", "org_a"),
        Step("customers", "list"),
        Step("customers", "list", "--limit", "1"),
        Step("customers", "list", "--limit", "1", "--starting-after", "org_a"),
        Step("customers", "show", "nobody"),
        Step("customers", "upsert", "--external-id", "a b"),
        Step("customers", "list", "--limit", "500"),
        Step("plans", "list"),
        Step("plans", "push"),
        Step("stripe", "usage", "status"),
        Step("plans", "show", "pro"),
        Step("plans", "show", "gold"),
        Step("subscriptions", "show", "org_a"),
        Step("subscriptions", "set", "org_a", "--plan", "pro", "--status", "active", "--quantity", "3"),
        Step("subscriptions", "show", "org_a"),
        Step("subscriptions", "history", "org_a"),
        Step("subscriptions", "set", "org_a", "--plan", "gold", "--status", "active"),
        Step("entitlements", "show", "org_a"),
        Step("entitlements", "check", "org_a", "sso"),
        Step("entitlements", "check", "org_a", "seats", "--quantity", "500"),
        Step("entitlements", "check", "nobody", "sso"),
        Step("entitlements", "check", "org_a", "no.such"),
        Step("usage", "record", "org_a", "api.requests", "--quantity", "5", "--idempotency-key", "k1"),
        Step("usage", "consume", "org_a", "exports.daily", "--quantity", "2"),
        Step("usage", "consume", "org_b", "exports.daily", "--quantity", "1000000"),
        Step("usage", "record", "nobody", "api.requests"),
        Step("usage", "import", "{FILE}"),
        Step("usage", "import", "{FILE}", "--chunk", "2"),
        Step("grants", "create", "org_b", "--feature", "sso", "--value", "true", "--reason", "pilot", capture: "GRANT"),
        Step("grants", "list", "org_b"),
        Step("grants", "revoke", "org_b", "{GRANT}", "--yes"),
        Step("grants", "revoke", "org_b", "grt_nope", "--yes"),
        Step("grants", "revoke", "org_b", "grt_nope"),
        Step("grants", "create", "org_b", "--feature", "no.such", "--value", "true", "--reason", "x"),
        Step("keys", "list"),
        Step("keys", "revoke", "nope", "--yes"),
        Step("keys", "revoke", "nope"),
        Step("webhooks", "list"),
        Step("webhooks", "list", "--status", "failed"),
        Step("webhooks", "show", "evt_nope"),
        Step("webhooks", "replay", "evt_nope"),
        Step("outbox", "list"),
        Step("outbox", "show", "{MAIL}"),
        Step("outbox", "retry", "{MAIL}"),
        Step("outbox", "show", "msg_nope"),
        Step("outbox", "purge", "--dead", "--yes"),
        Step("outbox", "purge", "--dead"),
        Step("suppressions", "add", "bob@example.com", "--note", "asked"),
        Step("suppressions", "list"),
        Step("suppressions", "remove", "bob@example.com"),
        Step("suppressions", "remove", "nobody@example.com"),
        Step("connections", "list", "--customer", "org_a"),
        Step("connections", "show", "con_nope"),
        Step("connections", "disconnect", "con_nope", "--yes"),
        Step("credits", "balance", "org_a"),
        Step("credits", "balance", "nobody"),
        Step("credits", "ledger", "org_a"),
        Step("seats", "list", "org_a", "seats"),
        Step("seats", "assign", "org_a", "seats", "member_1"),
        Step("seats", "list", "org_a", "seats"),
        Step("seats", "release", "org_a", "seats", "member_1"),
        Step("seats", "release", "org_a", "seats", "member_1"),
        Step("seats", "list", "org_a", "seats"),
        Step("credits", "grant", "org_a", "no_pool", "5", "--reason", "promo"),
        Step("credits", "hold-show", "org_a", "chd_nope"),
        Step("credits", "release", "org_a", "chd_nope"),
        Step("subscriptions", "portal", "org_a", "--return-url", "https://app.example/back"),
        Step("subscriptions", "cancel", "org_a"),
        Step("events", "show", "evt_nope"),
        Step("webhook-endpoints", "list"),
        Step("webhook-endpoints", "show", "we_nope"),
    ]

    /// What differs between the two sides by necessity, replaced before comparing:
    /// * instants: each side wrote its rows at its own moment;
    /// * generated ids (`cus_…`, `grt_…`, `msg_…`, an API key's bare id): random per store;
    /// * who made a change: the store records a subscription change's `source` as `cli` from the
    ///   CLI and `api` from the API, and a grant's author as the CLI's `--granted-by`/`$USER` or the
    ///   API key's name — the remote CLI's change is the API's, and the record says so;
    /// * the admin key's `last_used_at`: the remote side used it to ask;
    /// * column widths, which follow the widest cell (an id, an author) of each table.
    static func normalized(_ text: String) -> String {
        var text = text.replacing(/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z| UTC)/, with: "<time>")
        text = text.replacing(/\b[a-z]+_[A-Za-z0-9]{16,}\b/.wordBoundaryKind(.simple), with: "<id>")
        text = text.replacing(/"id" : "[A-Za-z0-9]{12}"/, with: #""id" : "<id>""#)
        text = text.replacing(/(?m)^ *"last_used_at" : "<time>",\n/, with: "")
        text = text.replacing(/"(source|granted_by)" : "(cli|api|api key admin)"/) { #"""# + $0.1 + #"" : "<who>""# }
        text = text.replacing(/(\S) {2,}/) { $0.1 + "  " }
        text = text.replacing(/(?m)^[A-Za-z0-9]{12}(  \S+  \S+  <time>)/) { "<id>" + $0.1 }
        text = text.replacing(/(?m)^(<time>  \S+  \S+  \d+  )(cli|api)$/) { $0.1 + "<who>" }
        text = text.replacing(/(?m)^(<id>  sso  true  \S+  pilot  )(cli|api key admin)( *)$/) { $0.1 + "<who>" }
        return text
    }

    /// Each side's store: migrated, the example catalog, an admin and a read key, a mail waiting.
    struct Side {
        var store: TestDatabase
        var admin: String
        var reader: String
        var values: [String: String]

        init(_ backend: Backend) throws {
            store = try TestDatabase.make(backend)
            let environment = TollgateBinary.environment(databaseURL: store.url)
            #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
            #expect(InProcessCLI.run(["plans", "apply", TestDatabase.repositoryRoot + "/examples/catalog.json"], environment: environment).status == 0)
            func key(_ scope: String) throws -> String {
                let created = InProcessCLI.run(["keys", "create", "--name", scope, "--scope", scope, "--json"], environment: environment)
                return try #require(try ErrorParityTests.object(created.standardOutput)["secret"] as? String, "\(created.standardError)")
            }
            admin = try key("admin")
            reader = try key("read")
            values = ["MAIL": try ErrorParityTests.queuePendingMail(store)]
        }
    }

    /// The remote side's environment: the API and a key, and a database URL that names nothing, so
    /// a command that opened a store would fail rather than pass.
    static func remoteEnvironment(port: Int, key: String) -> [String: String] {
        [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "TOLLGATE_DATABASE_URL": "sqlite:/nonexistent/remote-mode-must-not-open.db",
            "TOLLGATE_API_URL": "http://127.0.0.1:\(port)",
            "TOLLGATE_API_KEY": key,
        ]
    }

    @Test(arguments: Backend.allCases)
    func theSameCommandsPrintTheSameLocallyAndThroughTheAPI(backend: Backend) throws {
        var local = try Side(backend)
        var served = try Side(backend)
        let server = try ServeChild(databaseURL: served.store.url)
        #expect(server.waitUntilListening(), "\(server.log)")
        let localEnvironment = TollgateBinary.environment(databaseURL: local.store.url)
        // Usage events to import: counted, a repeat (duplicate), an unknown customer and a line
        // that is no event (refused, named on stderr).
        let folder = try TollgateBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("""
            {"customer":"org_a","feature":"api.requests","quantity":3,"idempotency_key":"imp-1"}
            {"customer":"org_a","feature":"api.requests","quantity":3,"idempotency_key":"imp-1"}
            {"customer":"nobody","feature":"api.requests","quantity":1}
            not json

            {"customer":"org_b","feature":"exports.daily","quantity":1}
            """.utf8).write(to: URL(fileURLWithPath: folder + "/usage.ndjson"))
        local.values["FILE"] = folder + "/usage.ndjson"
        served.values["FILE"] = folder + "/usage.ndjson"
        let remoteEnvironment = Self.remoteEnvironment(port: server.port, key: served.admin)

        var failures = 0
        var successes = 0
        for step in Self.steps {
            for json in [false, true] {
                func arguments(_ side: Side) -> [String] {
                    step.arguments.map { word in
                        side.values.reduce(word) { $0.replacingOccurrences(of: "{\($1.key)}", with: $1.value) }
                    } + (json ? ["--json"] : [])
                }
                let here = InProcessCLI.run(arguments(local), environment: localEnvironment)
                let there = InProcessCLI.run(arguments(served), environment: remoteEnvironment)
                let line = arguments(local).joined(separator: " ")
                #expect(here.status == there.status, "\(line): local \(here.status ?? -1) \(here.standardError), remote \(there.status ?? -1) \(there.standardError)")
                #expect(Self.normalized(here.standardOutput) == Self.normalized(there.standardOutput),
                        "\(line)\n--- local\n\(Self.normalized(here.standardOutput))\n--- remote\n\(Self.normalized(there.standardOutput))")
                #expect(Self.normalized(here.standardError) == Self.normalized(there.standardError),
                        "\(line)\n--- local\n\(Self.normalized(here.standardError))\n--- remote\n\(Self.normalized(there.standardError))")
                #expect(!there.standardOutput.contains(served.admin) && !there.standardError.contains(served.admin), "\(line) printed the API key")
                if here.status == 0 { successes += 1 } else { failures += 1 }
                if json, let name = step.capture {
                    local.values[name] = try ErrorParityTests.object(here.standardOutput)["id"] as? String
                    served.values[name] = try ErrorParityTests.object(there.standardOutput)["id"] as? String
                }
            }
        }
        // The set holds failures as well as successes.
        #expect(failures >= 30 && successes >= 60, "\(failures) failures, \(successes) successes")
        withExtendedLifetime(server) {}
    }

    /// Commands that need the store refuse remote mode, naming the command and where to run it,
    /// and open no database (the remote environment's names none that exists).
    @Test(arguments: [
        ["migrate"], ["serve"], ["keys", "create", "--name", "x", "--scope", "read"], ["outbox", "stats"],
        ["plans", "apply", "examples/catalog.json"], ["webhooks", "apply"], ["stripe", "sync"],
        ["connections", "reencrypt"], ["events", "purge"], ["connections", "list"],
    ])
    func storeOnlyCommandsRefuseRemoteMode(arguments: [String]) throws {
        let environment = Self.remoteEnvironment(port: 9, key: "tg_secret_never_printed")
        let text = InProcessCLI.run(arguments, environment: environment)
        #expect(text.status == 1, "\(text.standardError)")
        #expect(text.standardError.contains("`tollgate \(arguments[0])"), "\(text.standardError)")
        #expect(text.standardError.contains("needs the store"), "\(text.standardError)")
        #expect(!text.standardError.contains("tg_secret_never_printed"))
        let json = InProcessCLI.run(arguments + ["--json"], environment: environment)
        #expect(json.status == 1)
        #expect((try ErrorParityTests.object(json.standardError)["error"] as? [String: Any])?["code"] as? String == "store_only")
        #expect(!FileManager.default.fileExists(atPath: "/nonexistent/remote-mode-must-not-open.db"))
    }

    /// A read key attempting a write is refused by the API's scope check (exit 1, the code
    /// `insufficient_scope` and the scopes named), nothing written; a wrong key and an unreachable
    /// URL are one clear line each, never showing the key; `--api-url`/`--api-key` win over the
    /// environment.
    @Test(arguments: Backend.allCases)
    func keysScopesAndReachabilityAreClear(backend: Backend) throws {
        let side = try Side(backend)
        let server = try ServeChild(databaseURL: side.store.url)
        #expect(server.waitUntilListening(), "\(server.log)")
        let reader = Self.remoteEnvironment(port: server.port, key: side.reader)

        let write = InProcessCLI.run(["customers", "upsert", "--external-id", "org_scoped"], environment: reader)
        #expect(write.status == 1)
        #expect(write.standardError == "error: this API key has scope read; the operation needs write\n", "\(write.standardError)")
        let writeJSON = InProcessCLI.run(["customers", "upsert", "--external-id", "org_scoped", "--json"], environment: reader)
        #expect((try ErrorParityTests.object(writeJSON.standardError)["error"] as? [String: Any])?["code"] as? String == "insufficient_scope")
        let read = InProcessCLI.run(["customers", "show", "org_scoped"], environment: reader)
        #expect(read.status == 1 && read.standardError.contains("org_scoped"), "nothing was written: \(read.standardError)")
        #expect(InProcessCLI.run(["plans", "list"], environment: reader).status == 0)

        let wrong = InProcessCLI.run(["customers", "list"], environment: Self.remoteEnvironment(port: server.port, key: "tg_wrong_notakey"))
        #expect(wrong.status == 1)
        #expect(wrong.standardError.hasPrefix("error: the Tollgate API at http://127.0.0.1:\(server.port) refused the key (TOLLGATE_API_KEY"),
                "\(wrong.standardError)")
        #expect(!wrong.standardError.contains("tg_wrong_notakey"))
        #expect(wrong.standardError.split(separator: "\n").count == 1)

        let closed = 1  // nothing listens on port 1 of the loopback
        let unreachable = InProcessCLI.run(["customers", "list"], environment: Self.remoteEnvironment(port: closed, key: side.admin))
        #expect(unreachable.status == 1)
        #expect(unreachable.standardError.hasPrefix("error: cannot reach the Tollgate API at http://127.0.0.1:\(closed) (TOLLGATE_API_URL"),
                "\(unreachable.standardError)")
        #expect(unreachable.standardError.split(separator: "\n").count == 1)
        #expect(!unreachable.standardError.contains(side.admin))
        let unreachableJSON = InProcessCLI.run(["customers", "list", "--json"], environment: Self.remoteEnvironment(port: closed, key: side.admin))
        #expect((try ErrorParityTests.object(unreachableJSON.standardError)["error"] as? [String: Any])?["code"] as? String == "api_unreachable")

        // The options win over the environment (which here points at nothing), before or after the command.
        let url = "http://127.0.0.1:\(server.port)"
        let options = InProcessCLI.run(["--api-url", url, "--api-key", side.admin, "plans", "show", "pro"], environment: Self.remoteEnvironment(port: closed, key: "x"))
        #expect(options.status == 0, "\(options.standardError)")
        let after = InProcessCLI.run(["plans", "show", "pro", "--api-url=\(url)", "--api-key=\(side.admin)"], environment: Self.remoteEnvironment(port: closed, key: "x"))
        #expect(after.status == 0, "\(after.standardError)")
        #expect(after.standardOutput == options.standardOutput)

        // A URL without a key, or not http(s), is a configuration error naming the variable.
        let keyless = InProcessCLI.run(["plans", "list", "--json"], environment: ["TOLLGATE_API_URL": url])
        #expect(keyless.status == 1)
        let refusal = try #require(try ErrorParityTests.object(keyless.standardError)["error"] as? [String: Any])
        #expect(refusal["code"] as? String == "configuration")
        #expect((refusal["details"] as? [[String: Any]])?.first?["field"] as? String == "TOLLGATE_API_KEY")
        let scheme = InProcessCLI.run(["plans", "list"], environment: ["TOLLGATE_API_URL": "127.0.0.1:\(server.port)", "TOLLGATE_API_KEY": side.admin])
        #expect(scheme.status == 1 && scheme.standardError.contains("TOLLGATE_API_URL"), "\(scheme.standardError)")
        // doctor checks the API and the key instead of this machine's store.
        let doctor = InProcessCLI.run(["doctor"], environment: Self.remoteEnvironment(port: server.port, key: side.reader))
        #expect(doctor.status == 0, "\(doctor.standardOutput)\(doctor.standardError)")
        #expect(doctor.standardOutput.hasPrefix("ok    api: \(url) is ready") && doctor.standardOutput.contains("ok    api key:"), "\(doctor.standardOutput)")
        #expect(doctor.standardOutput.contains("skip  database: remote mode"), "\(doctor.standardOutput)")
        let badKey = InProcessCLI.run(["doctor"], environment: Self.remoteEnvironment(port: server.port, key: "tg_wrong_notakey"))
        #expect(badKey.status == 1 && badKey.standardOutput.contains("FAIL  api key: the Tollgate API at \(url) refused the key"), "\(badKey.standardOutput)")
        let down = InProcessCLI.run(["doctor"], environment: Self.remoteEnvironment(port: closed, key: side.admin))
        #expect(down.status == 1 && down.standardOutput.contains("FAIL  api: cannot reach the Tollgate API"), "\(down.standardOutput)")
        let missingValue = InProcessCLI.run(["plans", "list", "--api-url"], environment: [:])
        #expect(missingValue.status == 2)
        withExtendedLifetime(server) {}
    }

    /// Webhook endpoints through the API, whose state the server's delivery worker moves on (so
    /// not in the side-by-side set): the secret is printed once at create and rotate, and every
    /// field the API sends is read back (`endpoint_id`, `event_id` of a delivery).
    @Test(arguments: Backend.allCases)
    func webhookEndpointsAreManagedThroughTheAPI(backend: Backend) throws {
        let side = try Side(backend)
        let server = try ServeChild(databaseURL: side.store.url)
        #expect(server.waitUntilListening(), "\(server.log)")
        let remote = Self.remoteEnvironment(port: server.port, key: side.admin)
        func json(_ arguments: String...) throws -> [String: Any] {
            let result = InProcessCLI.run(arguments + ["--json"], environment: remote)
            #expect(result.status == 0, "\(arguments): \(result.standardError)")
            return try ErrorParityTests.object(result.standardOutput)
        }
        let created = try json("webhook-endpoints", "create", "--url", "http://127.0.0.1:1/hook", "--description", "billing")
        let id = try #require(created["id"] as? String)
        let secret = try #require(created["secret"] as? String)
        #expect(secret.hasPrefix("whsec_"))
        let shown = try json("webhook-endpoints", "show", id)
        #expect(shown["description"] as? String == "billing" && shown["secret"] == nil)
        #expect(try json("webhook-endpoints", "update", id, "--description", "ops")["description"] as? String == "ops")
        let delivery = try json("webhook-endpoints", "test", id)
        let eventID = try #require(delivery["event_id"] as? String)
        #expect(delivery["endpoint_id"] as? String == id)
        let deliveries = try #require(try json("webhook-endpoints", "deliveries", id)["data"] as? [[String: Any]])
        #expect(deliveries.contains { $0["event_id"] as? String == eventID && $0["endpoint_id"] as? String == id }, "\(deliveries)")
        let rotated = try json("webhook-endpoints", "rotate-secret", id)
        #expect((rotated["secret"] as? String).map { $0.hasPrefix("whsec_") && $0 != secret } == true)
        let text = InProcessCLI.run(["webhook-endpoints", "delete", id, "--yes"], environment: remote)
        #expect(text.status == 0 && text.standardOutput == "Deleted webhook endpoint \(id).\n", "\(text.standardError)")
        let again = InProcessCLI.run(["webhook-endpoints", "delete", id, "--yes", "--json"], environment: remote)
        #expect(again.status == 1)
        #expect((try ErrorParityTests.object(again.standardError)["error"] as? [String: Any])?["code"] as? String == "not_found")
        withExtendedLifetime(server) {}
    }

    /// The Stripe billing commands through the API (the server holds the Stripe key): the session
    /// URL and Stripe's accepted state print as locally; `--idempotency-key` travels as the
    /// `Idempotency-Key` header, so a repeat with one key is one Stripe operation there too.
    @Test(arguments: Backend.allCases)
    func billingCommandsGoThroughTheAPIWithTheirIdempotencyKey(backend: Backend) throws {
        let fake = try FakeStripeBilling()
        let side = try Side(backend)
        let stripe = ["TOLLGATE_STRIPE_API_KEY": BillingCommandTests.apiKey, "TOLLGATE_STRIPE_API_BASE": fake.baseURL]
        let local = TollgateBinary.environment(databaseURL: side.store.url, extra: stripe)
        #expect(InProcessCLI.run(["customers", "upsert", "--external-id", "org_acme"], environment: local).status == 0)
        #expect(InProcessCLI.run(["customers", "upsert", "--external-id", "org_new"], environment: local).status == 0)
        #expect(InProcessCLI.run(["plans", "push"], environment: local).status == 0)
        try side.store.database.withConnection { connection in
            try connection.execute("UPDATE customers SET stripe_customer_id = 'cus_FakeAcme' WHERE external_id = 'org_acme'")
        }
        let subscription = try fake.addSubscription(customer: "cus_FakeAcme", lookupKey: "tollgate:pro:month:usd", quantity: 2)
        fake.clearRequests()
        let server = try ServeChild(databaseURL: side.store.url, environment: stripe)
        #expect(server.waitUntilListening(), "\(server.log)")
        let remote = Self.remoteEnvironment(port: server.port, key: side.admin)

        // The catalog push through the API reports what the local one reports (here: nothing to do).
        for arguments in [["plans", "push", "--dry-run"], ["plans", "push"], ["plans", "push", "--json"]] {
            let here = InProcessCLI.run(arguments, environment: local)
            let there = InProcessCLI.run(arguments, environment: remote)
            #expect(there.status == 0 && there.standardOutput == here.standardOutput, "\(arguments): \(there.standardOutput)\(there.standardError)")
        }
        #expect(InProcessCLI.run(["plans", "push"], environment: remote).standardOutput.contains("Stripe already matches the catalog"))

        let checkout = InProcessCLI.run(
            ["subscriptions", "checkout", "org_new", "--plan", "pro", "--success-url", "https://app.example/ok", "--cancel-url", "https://app.example/no"],
            environment: remote)
        #expect(checkout.status == 0 && checkout.standardOutput.hasPrefix("https://checkout.stripe.com/"), "\(checkout.standardError)")
        #expect(fake.writes.last?["client_reference_id"] == "org_new")
        for _ in 0..<2 {
            let changed = InProcessCLI.run(["subscriptions", "change", "org_acme", "--quantity", "6", "--idempotency-key", "op-42"], environment: remote)
            #expect(changed.status == 0, "\(changed.standardError)")
            #expect(changed.standardOutput == "Stripe accepted: \(subscription) is active, price tollgate:pro:month:usd, quantity 6.\n"
                + "The local subscription changes when Stripe's webhook arrives.\n", "\(changed.standardOutput)")
        }
        // The API answered the repeat from its idempotency record: Stripe saw one request. Without
        // the key, the same command is a new operation.
        func posts() -> Int { fake.writes.filter { $0.path == "/v1/subscriptions/\(subscription)" }.count }
        #expect(posts() == 1, "one key, one Stripe operation")
        #expect(InProcessCLI.run(["subscriptions", "change", "org_acme", "--quantity", "6"], environment: remote).status == 0)
        #expect(posts() == 2)
        let cancel = InProcessCLI.run(["subscriptions", "cancel", "org_acme", "--at-period-end", "--json"], environment: remote)
        #expect(cancel.status == 0, "\(cancel.standardError)")
        #expect(try ErrorParityTests.object(cancel.standardOutput)["cancel_at_period_end"] as? Bool == true, "\(cancel.standardOutput)")
        let resume = InProcessCLI.run(["subscriptions", "resume", "org_acme"], environment: remote)
        #expect(resume.status == 0 && !resume.standardOutput.contains("cancels at period end"), "\(resume.standardOutput)\(resume.standardError)")
        let portal = InProcessCLI.run(["subscriptions", "portal", "org_acme", "--return-url", "https://app.example"], environment: remote)
        #expect(portal.status == 0 && portal.standardOutput.hasPrefix("https://"), "\(portal.standardError)")
        withExtendedLifetime(server) {}
    }
}
