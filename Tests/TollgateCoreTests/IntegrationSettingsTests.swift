import Foundation
import Testing
import TollgateCrypto
@testable import TollgateCore
import TollgateIntegrations
import TollgateOAuth

@Suite struct IntegrationSettingsTests {
    func providersFile(_ json: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("providers-\(UInt64.random(in: 0...UInt64.max)).json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let github = #"{"providers": {"github": {"preset": "github", "client_id": "gh", "client_secret_env": "GH_SECRET"}}}"#

    @Test func providersWithKeyAndPublicURL() throws {
        let key = try EncryptionKeyring.generateKeyEntry(id: "k1")
        let configuration = try Configuration(environment: [
            "TOLLGATE_OAUTH_PROVIDERS": try providersFile(Self.github), "TOLLGATE_ENCRYPTION_KEY": key, "GH_SECRET": "s3cr3t-value",
            "TOLLGATE_PUBLIC_URL": "https://tollgate.acme.test/", "TOLLGATE_OAUTH_RETURN_URLS": "https://app.test/a, https://app.test/b",
        ])
        let settings = configuration.integrations
        #expect(settings.providers["github"]?.redirectURI == "https://tollgate.acme.test/oauth/callback")
        #expect(settings.providers["github"]?.clientSecret.value == "s3cr3t-value")
        #expect(settings.returnURLs == ["https://app.test/a", "https://app.test/b"])
        #expect(settings.keyring?.currentKeyID == "k1" && settings.stateTTLSeconds == 600 && settings.maxRefreshFailures == 3)
        let printed = configuration.redactedEntries()
        #expect(printed.first { $0.name == "TOLLGATE_ENCRYPTION_KEY" }?.value == Redaction.mask)
        #expect(!printed.contains { $0.value.contains(String(key.dropFirst(3))) })
    }

    @Test func theKeyIsRequiredWithProviders() throws {
        let environment = ["TOLLGATE_OAUTH_PROVIDERS": try providersFile(Self.github), "GH_SECRET": "x", "TOLLGATE_PUBLIC_URL": "https://t.test"]
        do {
            _ = try Configuration(environment: environment)
            Issue.record("expected an error")
        } catch {
            #expect(error.variable == "TOLLGATE_ENCRYPTION_KEY")
        }
    }

    @Test func providerErrorsNameTheVariableTheProviderAndTheField() throws {
        let key = try EncryptionKeyring.generateKeyEntry(id: "k1")
        let file = try providersFile(Self.github)
        do {
            _ = try Configuration(environment: [
                "TOLLGATE_OAUTH_PROVIDERS": file, "TOLLGATE_ENCRYPTION_KEY": key, "TOLLGATE_PUBLIC_URL": "https://t.test",
            ])
            Issue.record("expected an error")
        } catch {
            #expect(error.variable == "TOLLGATE_OAUTH_PROVIDERS")
            #expect(error.message.contains("provider github") && error.message.contains("client_secret_env"))
        }
        #expect(throws: ConfigurationError.self) {
            try Configuration(environment: ["TOLLGATE_ENCRYPTION_KEY": "k1:not-base64"])
        }
        #expect(throws: ConfigurationError.self) {
            try Configuration(environment: ["TOLLGATE_OAUTH_RETURN_URLS": "/relative"])
        }
    }

    @Test func withoutProvidersIntegrationsAreOff() throws {
        let configuration = try Configuration(environment: [:])
        #expect(configuration.integrations.providers.isEmpty && configuration.integrations.keyring == nil)
    }
}
