import Testing
@testable import TollgateCore
import TollgateStripe

@Suite struct StripeConfigurationTests {
    @Test func webhookSecretsAreACommaSeparatedListAndOptional() throws {
        #expect(try Configuration(environment: [:]).stripeWebhookSecrets.isEmpty)
        #expect(try Configuration(environment: [:]).stripeAPIKey == nil)
        #expect(try Configuration(environment: [:]).stripeWebhookMaxAttempts == 8)
        let rotating = try Configuration(environment: ["TOLLGATE_STRIPE_WEBHOOK_SECRET": "whsec_new, whsec_old,,"])
        #expect(rotating.stripeWebhookSecrets == ["whsec_new", "whsec_old"])
        #expect(throws: ConfigurationError.self) { try Configuration(environment: ["TOLLGATE_STRIPE_WEBHOOK_MAX_ATTEMPTS": "0"]) }
    }

    @Test func apiBaseDefaultsToStripeAndIsValidated() throws {
        #expect(try Configuration(environment: [:]).stripeAPIBase == "https://api.stripe.com")
        #expect(try Configuration(environment: ["TOLLGATE_STRIPE_API_BASE": "http://127.0.0.1:12111"]).stripeAPIBase == "http://127.0.0.1:12111")
        for bad in ["ftp://stripe.example", "https://api.stripe.com/", "api.stripe.com"] {
            #expect(throws: ConfigurationError.self) { try Configuration(environment: ["TOLLGATE_STRIPE_API_BASE": bad]) }
        }
    }

    @Test func stripeSecretsAreRedactedWhenPrinted() throws {
        let configuration = try Configuration(environment: [
            "TOLLGATE_STRIPE_API_KEY": "sk_test_hunter2hunter2", "TOLLGATE_STRIPE_WEBHOOK_SECRET": "whsec_hunter3,whsec_hunter4",
        ])
        #expect(Configuration.settings.filter { if case .secret = $0.secrecy { $0.name.hasPrefix("TOLLGATE_STRIPE_") } else { false } }.map(\.name).sorted()
            == ["TOLLGATE_STRIPE_API_KEY", "TOLLGATE_STRIPE_WEBHOOK_SECRET"])
        let entries = configuration.redactedEntries()
        let printed = entries.map { "\($0.name)=\($0.value)" }.joined(separator: "\n")
        #expect(!printed.contains("hunter"))
        #expect(entries.first { $0.name == "TOLLGATE_STRIPE_API_KEY" }?.value == Redaction.mask)
        #expect(entries.first { $0.name == "TOLLGATE_STRIPE_WEBHOOK_SECRET" }?.value == Redaction.mask)
        // Unset secrets say so (never a mask that suggests a value).
        let unset = try Configuration(environment: [:]).redactedEntries()
        #expect(unset.first { $0.name == "TOLLGATE_STRIPE_API_KEY" }?.value == "(unset)")
    }

    @Test func stripeClientIsConfiguredOnlyWithAKeyAndAValidBase() throws {
        let none = try Configuration(environment: [:])
        #expect(none.stripe == nil)
        #expect(none.stripeAPIBase == "https://api.stripe.com")
        let local = try Configuration(environment: ["TOLLGATE_STRIPE_API_KEY": "sk_test_x", "TOLLGATE_STRIPE_API_BASE": "http://127.0.0.1:12111"])
        #expect(local.stripe?.baseURL == "http://127.0.0.1:12111")
        #expect(local.stripe?.apiVersion == "2026-10-28.endive")
        for bad in ["api.stripe.com", "https://api.stripe.com/", "https://api.stripe.com/v1", "ftp://x", "https://"] {
            let error = #expect(throws: ConfigurationError.self) { try Configuration(environment: ["TOLLGATE_STRIPE_API_BASE": bad]) }
            #expect(error?.variable == "TOLLGATE_STRIPE_API_BASE", "\(bad)")
        }
        let spaced = #expect(throws: ConfigurationError.self) { try Configuration(environment: ["TOLLGATE_STRIPE_API_KEY": "sk test"]) }
        #expect(spaced?.variable == "TOLLGATE_STRIPE_API_KEY")
        #expect(spaced.map { !"\($0)".contains("sk test") } == true)
    }
}
