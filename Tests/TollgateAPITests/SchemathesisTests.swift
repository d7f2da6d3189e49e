import Foundation
import Testing
import TollgateCore
import TollgateCrypto
import TollgateEntitlements
import TollgateTestSupport

/// schemathesis (PyPI, through `TOLLGATE_TEST_SCHEMATHESIS`, which `scripts/test` installs) over
/// `/openapi.json` of a real server, every operation, the default checks, a fixed seed and a
/// bounded example count: the server must do exactly what its document says (no server error, no
/// undocumented status, every body as its schema, bad input refused, good input accepted).
///
/// Stripe is the in-process fake, OAuth the real peer (when configured): every operation is
/// reachable, so a 5xx is a defect, not a missing setting. `revokeKey` runs alone, with a key of its
/// own, so the main run never revokes the key it authenticates with.
@Suite(.serialized, .enabled(if: SchemathesisTool.shouldRun)) struct SchemathesisTests {

    static let seed = "20261207"
    static let examples = "12"

    @Test(arguments: Backend.allCases)
    func theServerDoesWhatItsDocumentSays(backend: Backend) throws {
        let command = try #require(SchemathesisTool.command, "TOLLGATE_TEST_SCHEMATHESIS is unset: run scripts/test (it installs schemathesis)")
        let fake = try FakeStripeBilling()
        var environment = [
            "TOLLGATE_STRIPE_API_KEY": "sk_test_schemathesis_0a1b2c", "TOLLGATE_STRIPE_API_BASE": fake.baseURL,
            "TOLLGATE_STRIPE_WEBHOOK_SECRET": "whsec_schemathesis_3d4e5f", "TOLLGATE_API_RATE_LIMIT": "off",
        ]
        if let peer = OAuthPeer.fromEnvironment() {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("st-providers-\(UInt64.random(in: 0...UInt64.max)).json").path
            try peer.providersJSON(names: ["github"]).write(toFile: file, atomically: true, encoding: .utf8)
            environment["TOLLGATE_OAUTH_PROVIDERS"] = file
            environment["TOLLGATE_ENCRYPTION_KEY"] = try EncryptionKeyring.generateKeyEntry(id: "k1")
            environment["TOLLGATE_OAUTH_RETURN_URLS"] = "https://app.test/integrations"
        }
        let harness = try APIHarness(backend, environment: environment)
        _ = try harness.services.catalog.apply(try Catalog.parse(Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json"))))
        _ = try harness.services.customers.upsert(.init(externalID: "org_acme", email: "billing@acme.example"))

        let main = try Self.run(command, harness: harness, token: try harness.token(.admin, name: "schemathesis"),
                                filter: ["--exclude-operation-id", "revokeKey"], name: "\(backend)-main")
        #expect(main.status == 0, "schemathesis on \(backend):\n\(main.summary)")
        let revoke = try Self.run(command, harness: harness, token: try harness.token(.admin, name: "schemathesis-revoke"),
                                  filter: ["--include-operation-id", "revokeKey"], name: "\(backend)-revoke")
        #expect(revoke.status == 0, "schemathesis revokeKey on \(backend):\n\(revoke.summary)")
    }

    /// Runs `st run` against the harness; the exit status and the report's tail.
    static func run(_ command: String, harness: APIHarness, token: String, filter: [String], name: String) throws -> (status: Int32?, summary: String) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("schemathesis-\(name)-\(UInt64.random(in: 0...UInt64.max)).txt").path
        let child = try ChildProcess(
            executable: command,
            arguments: ["--config-file", TestDatabase.repositoryRoot + "/schemathesis.toml", "run", "http://127.0.0.1:\(harness.port)/openapi.json", "-H", "Authorization: Bearer \(token)",
                        "--seed", seed, "--max-examples", examples, "--workers", "1", "--no-color",
                        // Text is UTF-8 without U+0000: the server refuses NUL by rule (400), and JSON
                        // strings must be valid UTF-8; neither is a schema fact a generator knows.
                        "--generation-allow-x00", "false", "--generation-codec", "utf-8",
                        // Nothing carried between runs: the seed alone decides what is sent.
                        "--generation-database", "none"] + filter,
            standardOutput: .file(output), standardError: .file(output + ".err"))
        let status = child.waitForExit(timeout: .seconds(600))
        if status == nil { child.kill() }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: output + ".err", encoding: .utf8)) ?? ""
        print("schemathesis \(name): \(text.split(separator: "\n").suffix(3).joined(separator: " | "))")
        return (status, String(text.suffix(12_000)) + errors.suffix(2000))
    }
}

enum SchemathesisTool {
    static var command: String? {
        ProcessInfo.processInfo.environment["TOLLGATE_TEST_SCHEMATHESIS"].flatMap { $0.isEmpty ? nil : $0 }
    }
    /// In CI the tool is always installed: a missing one fails the test instead of skipping it.
    static var shouldRun: Bool { command != nil || ProcessInfo.processInfo.environment["CI"] == "true" }
}
