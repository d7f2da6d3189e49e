import Foundation
import Testing
@testable import TollgateCore
import TollgateMail
@testable import TollgateOutbox
import TollgateTestSupport
import TollgateBase

/// ``MailTemplate``: the templates folder is checked against every mail the code sends.
@Suite struct MailTemplateTests {
    static let repositoryTemplates = TestDatabase.repositoryRoot + "/templates"

    /// A copy of the repository's templates in a fresh folder, changed by `edit`.
    func templates(_ edit: (String) throws -> Void) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("templates-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: Self.repositoryTemplates, toPath: folder)
        try edit(folder)
        return folder
    }

    func problems(_ folder: String) -> [ConfigurationError.Issue] {
        do {
            _ = try Configuration.mailTemplates(directory: folder)
            return []
        } catch {
            return error.issues
        }
    }

    @Test func theRepositoryTemplatesServeEveryMail() throws {
        let set = try Configuration.mailTemplates(directory: Self.repositoryTemplates)
        #expect(Set(set.names) == Set(MailTemplate.allCases.map(\.name)))
    }

    @Test func aMailWithoutTemplatesIsNamed() throws {
        let folder = try templates { folder in
            for part in ["subject", "html", "text"] { try FileManager.default.removeItem(atPath: "\(folder)/trial_ending.\(part).mustache") }
        }
        let issues = problems(folder)
        #expect(issues.count == 1)
        #expect(issues.first?.variable == "TOLLGATE_TEMPLATES_DIR")
        #expect(issues.first?.message.contains("mail `trial_ending` is sent by Tollgate") == true, "\(issues)")
    }

    @Test func aNameTheDataNeverHasIsNamedWithItsLine() throws {
        let folder = try templates { folder in
            try "Hi {{{customer.name}}},\n\nYour card {{{invoice.card}}} was declined.\n".write(
                toFile: "\(folder)/payment_failed.text.mustache", atomically: true, encoding: .utf8)
        }
        let issues = problems(folder)
        #expect(issues.map(\.message) == [
            "payment_failed.text.mustache: line 3, column 11: `invoice.card` is not in the data of mail `payment_failed` "
                + "(its data: brand, customer, failure_reason, invoice, manage, next_attempt, plan, reconnect, resubscribe, subject, update_payment; "
                + "see MailTemplate.data)",
        ])
    }

    /// Sections look names up inside them first, as rendering does.
    @Test func namesInsideSectionsResolveAgainstTheSection() throws {
        let folder = try templates { folder in
            try "{{#invoice}}{{number}} {{amount}}{{/invoice}} {{#plan}}{{name}} {{nothing}}{{/plan}}\n".write(
                toFile: "\(folder)/payment_failed.text.mustache", atomically: true, encoding: .utf8)
        }
        #expect(problems(folder).map(\.message).map { $0.prefix(60) } == ["payment_failed.text.mustache: line 1, column 65: `nothing` i"])
    }

    @Test func anUnparsableTemplateIsNamedWithItsLine() throws {
        let folder = try templates { folder in
            try "Hi\n{{#plan}}\n".write(toFile: "\(folder)/subscription_started.subject.mustache", atomically: true, encoding: .utf8)
        }
        let message = try #require(problems(folder).first?.message)
        #expect(message.hasPrefix("subscription_started.subject.mustache: line 2, column 1:"), "\(message)")
    }

    /// The names every mail has are the worker's fallbacks and the subject.
    @Test func commonDataIsWhatTheWorkerAdds() throws {
        let settings = try #require(try Configuration(environment: [
            "TOLLGATE_MAIL_URL": "file:///tmp", "TOLLGATE_MAIL_FROM": "a@b.example", "TOLLGATE_APP_URL": "https://app.example",
        ]).mail)
        var paths: Set<String> = ["subject"]
        for (key, value) in MailRenderer.fallbacks(settings) {
            guard case .object(let members) = value else { paths.insert(key); continue }
            for member in members.keys { paths.insert(key + "." + member) }
        }
        #expect(paths == MailTemplate.commonData)
    }

    @Test func undeclaredDataPathsAreFound() {
        let data: MustacheValue = ["customer": ["name": "Ada", "nickname": "A"], "plan": ["name": "Pro"], "extra": .null]
        #expect(MailTemplate.paymentFailed.undeclaredPaths(in: data) == ["customer.nickname", "extra"])
    }
}
