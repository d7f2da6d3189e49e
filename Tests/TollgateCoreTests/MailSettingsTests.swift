import Foundation
import Testing
import Tollgate
import TollgateMail
import TollgateOutbox
import TollgateTestSupport
@testable import TollgateCore

@Suite struct MailSettingsTests {
    static let base = [
        "TOLLGATE_MAIL_URL": "smtp://mailer:hunter2-secret@smtp.example.com:587", "TOLLGATE_MAIL_FROM": "Acme Analytics <billing@acme.example>",
        "TOLLGATE_APP_URL": "https://acme.example/",
    ]

    @Test func noMailURLMeansMailIsQueuedButNotSent() throws {
        #expect(try Configuration(environment: [:]).mail == nil)
    }

    @Test func aValidConfigurationIsReadWithDefaults() throws {
        let mail = try #require(try Configuration(environment: Self.base).mail)
        #expect(mail.from == MailAddress("billing@acme.example", name: "Acme Analytics"))
        #expect(mail.brandName == "Acme Analytics" && mail.appURL == "https://acme.example")
        #expect(mail.rate?.limit == 10 && mail.rate?.windowSeconds == 1)
        #expect(mail.recipientRate?.limit == 20 && mail.recipientRate?.windowSeconds == 3600 && mail.recipientRate?.burst == 5)
        #expect(mail.maxAttempts == 8 && mail.workers == 2 && mail.leaseSeconds == 60 && mail.retryBase == 30)
        #expect(try Configuration(environment: Self.base.merging(["TOLLGATE_MAIL_RATE": "off"]) { _, new in new }).mail?.rate == nil)
    }

    @Test(arguments: [
        ("TOLLGATE_MAIL_URL", "gopher://mail.example.com"),
        ("TOLLGATE_MAIL_URL", "smtp://mail.example.com?tls=maybe"),
        ("TOLLGATE_MAIL_FROM", "not an address"),
        ("TOLLGATE_MAIL_REPLY_TO", "<broken"),
        ("TOLLGATE_APP_URL", "acme.example"),
        ("TOLLGATE_MAIL_RATE", "fast"),
        ("TOLLGATE_MAIL_RECIPIENT_RATE", "0/60"),
        ("TOLLGATE_MAIL_WORKERS", "0"),
        ("TOLLGATE_MAIL_MAX_ATTEMPTS", "1000"),
        ("TOLLGATE_MAIL_LEASE_SECONDS", "0"),
    ])
    func invalidValuesNameTheirVariable(variable: String, value: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration(environment: Self.base.merging([variable: value]) { _, new in new })
        }
        #expect(error?.variable == variable)
    }

    @Test func fromAndAppURLAreRequiredWithAMailURL() {
        for missing in ["TOLLGATE_MAIL_FROM", "TOLLGATE_APP_URL"] {
            var environment = Self.base
            environment[missing] = nil
            let error = #expect(throws: ConfigurationError.self) { try Configuration(environment: environment) }
            #expect(error?.variable == missing)
        }
    }

    @Test func printedConfigurationNeverShowsTheMailPassword() throws {
        let entries = try Configuration(environment: Self.base).redactedEntries()
        let mailURL = try #require(entries.first { $0.name == "TOLLGATE_MAIL_URL" })
        #expect(mailURL.value.contains("smtp.example.com"))
        #expect(!entries.contains { $0.value.contains("hunter2") })
        let postmark = try Configuration(environment: Self.base.merging(["TOLLGATE_MAIL_URL": "postmark://pm-token-777@api.postmarkapp.com"]) { _, new in new })
        #expect(!postmark.redactedEntries().contains { $0.value.contains("pm-token-777") })
    }

    @Test func theTemplatesAreLoadedAndCheckedFromTheConfiguredFolder() throws {
        let configuration = try Configuration(environment: Self.base.merging(["TOLLGATE_TEMPLATES_DIR": TestDatabase.repositoryRoot + "/templates"]) { _, new in new })
        #expect(try configuration.mailTemplates().names.contains("payment_failed"))
        let missing = try Configuration(environment: Self.base.merging(["TOLLGATE_TEMPLATES_DIR": "/nonexistent"]) { _, new in new })
        let error = #expect(throws: ConfigurationError.self) { try missing.mailTemplates() }
        #expect(error?.variable == "TOLLGATE_TEMPLATES_DIR")
    }
}
