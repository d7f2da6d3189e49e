import Foundation
import Testing
import TollgateTestSupport
@testable import TollgateCore

/// The table of settings (``Configuration/settings``) is the one place a variable is declared:
/// the configuration reference (`docs/configuration.md`), the reader and `config check` follow it.
@Suite struct SettingsTableTests {
    /// The configuration reference's table is exactly the one rendered from the declarations. When
    /// this fails, run it again with `TOLLGATE_RECORD_DOCS=1` to rewrite the table in the document.
    @Test func configurationReferenceIsTheRenderedTable() throws {
        let path = TestDatabase.repositoryRoot + "/" + Configuration.referenceDocument
        let readme = try String(contentsOfFile: path, encoding: .utf8)
        let rendered = Configuration.markdownTable()
        let start = try #require(readme.range(of: Configuration.tableStartMarker + "\n"), "docs/configuration.md lacks the table's start marker")
        let end = try #require(readme.range(of: Configuration.tableEndMarker, range: start.upperBound..<readme.endIndex), "no end marker")
        let current = String(readme[start.upperBound..<end.lowerBound])
        if current != rendered, ProcessInfo.processInfo.environment["TOLLGATE_RECORD_DOCS"] == "1" {
            try readme.replacingCharacters(in: start.upperBound..<end.lowerBound, with: rendered).write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        #expect(current == rendered, "docs/configuration.md's table differs from Configuration.settings; rerun with TOLLGATE_RECORD_DOCS=1 to rewrite it")
    }

    @Test func everyVariableIsDeclaredOnceAndReadByTheConfiguration() throws {
        let names = Configuration.settings.map(\.name)
        #expect(Set(names).count == names.count, "declared twice: \(names.filter { name in names.filter { $0 == name }.count > 1 })")
        #expect(names.allSatisfy { $0.hasPrefix("TOLLGATE_") })
        var values = SettingValues(environment: [:], settings: Configuration.settings)
        _ = try Configuration(values: &values)
        #expect(values.read == Set(names), "declared but never read: \(Set(names).subtracting(values.read)); read but not declared: \(values.read.subtracting(names))")
    }

    /// A default is written as a value of the variable would be, so it parses back to itself.
    @Test func everyDefaultParsesBackToItself() throws {
        for setting in Configuration.settings {
            guard let text = setting.defaultText else { continue }
            let configuration = try Configuration(environment: [setting.name: text])
            #expect(configuration.redactedEntries().first { $0.name == setting.name }?.value == text, "\(setting.name)")
        }
    }

    /// Every bad variable is reported, not only the first, in the table's order.
    @Test func everyBadVariableIsReported() {
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration(environment: [
                "TOLLGATE_LOG_LEVEL": "loud", "TOLLGATE_LISTEN": "nowhere", "TOLLGATE_MAIL_WORKERS": "0", "TOLLGATE_OAUTH_STATE_TTL_SECONDS": "1",
            ])
        }
        let names = ["TOLLGATE_LISTEN", "TOLLGATE_LOG_LEVEL", "TOLLGATE_MAIL_WORKERS", "TOLLGATE_OAUTH_STATE_TTL_SECONDS"]
        #expect(error?.issues.map(\.variable) == names)
        for name in names { #expect(error?.description.contains(name) == true, "\(name)") }
    }

    /// A variable that is set is validated even when the feature it tunes is off: a bad
    /// `TOLLGATE_MAIL_WORKERS` fails before the day `TOLLGATE_MAIL_URL` is set.
    @Test func aSetVariableIsValidatedEvenWhenItsFeatureIsOff() {
        let error = #expect(throws: ConfigurationError.self) { try Configuration(environment: ["TOLLGATE_MAIL_WORKERS": "many"]) }
        #expect(error?.variable == "TOLLGATE_MAIL_WORKERS")
    }

    /// Required-with-another-variable and cross-variable problems join the parse problems.
    @Test func missingRequiredVariablesAreReportedWithTheBadOnes() {
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration(environment: ["TOLLGATE_MAIL_URL": "smtp://mail.example.com", "TOLLGATE_HTTP_IDLE_TIMEOUT": "0"])
        }
        #expect(error?.issues.map(\.variable) == ["TOLLGATE_HTTP_IDLE_TIMEOUT", "TOLLGATE_MAIL_FROM", "TOLLGATE_APP_URL"])
    }

    /// `config check` prints secrets masked, a masked value with its secret parts hidden, and an
    /// unset variable as what unset means.
    @Test func printedValuesFollowEachDeclaration() throws {
        let entries = try Configuration(environment: [
            "TOLLGATE_STRIPE_API_KEY": "sk_test_abc", "TOLLGATE_DATABASE_URL": "postgres://u:pw@db/x", "TOLLGATE_LOG_LEVEL": "",
        ]).redactedEntries()
        func value(_ name: String) -> String? { entries.first { $0.name == name }?.value }
        #expect(entries.map(\.name) == Configuration.settings.map(\.name))
        #expect(value("TOLLGATE_STRIPE_API_KEY") == Redaction.mask)
        #expect(value("TOLLGATE_DATABASE_URL") == "postgres://u:****@db/x")
        #expect(value("TOLLGATE_LOG_LEVEL") == "info")
        #expect(entries.first { $0.name == "TOLLGATE_LOG_LEVEL" }?.source == "environment")
        #expect(value("TOLLGATE_MIGRATIONS_DIR") == "(auto)")
        #expect(value("TOLLGATE_MAIL_URL") == "(unset)")
    }
}
