import Foundation
import Testing
import TollgateClient
import TollgateTestSupport
import TollgateWebhookEndpoints

/// `WebhookVerifier` against signatures the `standardwebhooks` library (PyPI) made, and against
/// Tollgate's own signer.
@Suite struct WebhookVerifierTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// The library's `webhook-signature` for `payload` (through `scripts/peers/webhook-receiver sign`).
    private func signedByLibrary(_ payload: String, id: String, timestamp: Int64, secret: String = secret) throws -> String {
        let signer = try #require(ProcessInfo.processInfo.environment["TOLLGATE_TEST_WEBHOOK_SIGN"],
                                  "TOLLGATE_TEST_WEBHOOK_SIGN is unset: run scripts/test (it points it at scripts/peers/webhook-receiver)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wh-sign-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data(payload.utf8).write(to: URL(fileURLWithPath: folder + "/payload"))
        let child = try ChildProcess(
            executable: signer, arguments: ["sign", secret, id, String(timestamp), folder + "/payload"],
            standardOutput: .file(folder + "/out"), standardError: .file(folder + "/err"))
        #expect(child.waitForExit(timeout: .seconds(120)) == 0, "\((try? String(contentsOfFile: folder + "/err", encoding: .utf8)) ?? "")")
        return try String(contentsOfFile: folder + "/out", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aSignatureTheLibraryMadeVerifiesAndATamperedOneDoesNot() throws {
        let payload = #"{"created_at":"2026-12-07T14:00:00Z","data":{"n":1},"id":"evt_1","type":"grant.created"}"#
        let now = Int64(Date().timeIntervalSince1970)
        let signature = try signedByLibrary(payload, id: "evt_1", timestamp: now)
        #expect(signature.hasPrefix("v1,"))
        let headers = ["webhook-id": "evt_1", "webhook-timestamp": String(now), "webhook-signature": signature]
        let verifier = try WebhookVerifier(secret: Self.secret)
        try verifier.verify(body: Data(payload.utf8), headers: headers)
        // Header names in any case; several signatures (a rotation) where one matches.
        try verifier.verify(body: Data(payload.utf8), headers: ["Webhook-Id": "evt_1", "WEBHOOK-TIMESTAMP": String(now),
                                                                 "webhook-signature": "v1,AAAA \(signature)"])
        #expect(throws: WebhookVerificationError.self) { try verifier.verify(body: Data((payload + " ").utf8), headers: headers) }
        #expect(throws: WebhookVerificationError.self) {
            try WebhookVerifier(secret: "whsec_" + Data(repeating: 7, count: 24).base64EncodedString()).verify(body: Data(payload.utf8), headers: headers)
        }
        #expect(throws: WebhookVerificationError.self) {
            try verifier.verify(body: Data(payload.utf8), headers: headers, now: Date().addingTimeInterval(600))
        }
        #expect(throws: WebhookVerificationError.self) {
            try verifier.verify(body: Data(payload.utf8), headers: headers.filter { $0.key != "webhook-id" })
        }
        #expect(throws: WebhookVerificationError.self) { try WebhookVerifier(secret: "whsec_not base64!") }
    }

    @Test func tollgatesSignerMatchesTheLibrary() throws {
        let payload = #"{"id":"evt_2","type":"customer.created"}"#
        let timestamp = Int64(Date().timeIntervalSince1970)
        let secret = try #require(WebhookSecret(Self.secret))
        let ours = WebhookSigner.signature(id: "evt_2", timestamp: String(timestamp), body: Array(payload.utf8), secret: secret)
        #expect(ours == (try signedByLibrary(payload, id: "evt_2", timestamp: timestamp)))
    }
}
