import Foundation
import Testing
@testable import TollgateCore
import TollgateCrypto
@testable import TollgateIntegrations
import TollgateStore
import TollgateTestSupport

/// Key rotation: a new key first, the old one after it: old ciphertexts still open; reencrypt
/// re-seals them; then the old key can go.
@Suite(.enabled(if: OAuthPeer.shouldRun)) struct IntegrationKeyRotationTests {
    @Test(arguments: Backend.allCases)
    func rotateReencryptAndDropTheOldKey(backend: Backend) throws {
        try OAuthPeer.exclusively {
            let harness = try IntegrationHarness(backend)
            let id = try harness.connect()
            let before = try harness.services.integrations.freshToken(connectionID: id).accessToken
            let newKey = try EncryptionKeyring.generateKeyEntry(id: "k2")

            let rotated = try harness.anotherInstance(key: newKey + "," + harness.key)
            defer { rotated.database.close() }
            #expect(try rotated.integrations.freshToken(connectionID: id).accessToken == before)
            let report = try rotated.integrations.reencrypt()
            #expect(report == ReencryptReport(currentKeyID: "k2", examined: 1, resealed: 1, failures: []))
            #expect(try harness.sealedRow(id).keyID == "k2" && harness.sealedRow(id).access.hasPrefix("k2:"))
            #expect(try rotated.integrations.reencrypt().examined == 0)

            let newOnly = try harness.anotherInstance(key: newKey)
            defer { newOnly.database.close() }
            #expect(try newOnly.integrations.freshToken(connectionID: id).accessToken == before)
            // The old key alone no longer opens them.
            do {
                _ = try harness.services.integrations.freshToken(connectionID: id)
                Issue.record("expected the old key to fail")
            } catch let error as IntegrationError {
                #expect(error.code == .keyUnavailable && !error.message.contains(before))
            }
        }
    }
}
