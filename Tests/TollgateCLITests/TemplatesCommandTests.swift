import Foundation
import Testing
import TollgateTestSupport

/// `tollgate templates render`, in-process.
@Suite struct TemplatesCommandTests {
    let environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
    let root = TestDatabase.repositoryRoot

    @Test func rendersAMailWithSubjectTextAndHTML() throws {
        let result = InProcessCLI.run(
            ["templates", "render", "payment_failed", "--data", root + "/examples/mail/payment_failed.json", "--templates", root + "/templates"],
            environment: environment)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.hasPrefix("Subject: Action needed: your payment of $49.00 failed\n"))
        #expect(result.standardOutput.contains("----- text -----\nHi Alan Turing,\n"))
        #expect(result.standardOutput.contains("----- html -----\n<!DOCTYPE html>"))
    }

    @Test func rendersAnyTemplateWithPartialsAsJSON() throws {
        let folder = try TollgateBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/partials", withIntermediateDirectories: true)
        try "Hello {{name}}!\n  {{> sig}}\n".write(toFile: folder + "/hello.mustache", atomically: true, encoding: .utf8)
        try "--\n{{team}}\n".write(toFile: folder + "/partials/sig.mustache", atomically: true, encoding: .utf8)
        try #"{"name": "<Ada>", "team": "Billing"}"#.write(toFile: folder + "/data.json", atomically: true, encoding: .utf8)

        let result = InProcessCLI.run(
            ["templates", "render", "--template-file", folder + "/hello.mustache", "--data", folder + "/data.json",
             "--partials", folder + "/partials", "--json"],
            environment: environment)
        #expect(result.status == 0, "\(result.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: String]
        #expect(object == ["output": "Hello &lt;Ada&gt;!\n  --\n  Billing\n"])
    }

    @Test func templateErrorsExit1NamingTheLine() throws {
        let folder = try TollgateBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "one\n{{#items}}\n{{name}}\n".write(toFile: folder + "/broken.mustache", atomically: true, encoding: .utf8)
        try "a\n\n{{> missing}}\n".write(toFile: folder + "/partial.mustache", atomically: true, encoding: .utf8)
        try "{}".write(toFile: folder + "/data.json", atomically: true, encoding: .utf8)

        let broken = InProcessCLI.run(
            ["templates", "render", "--template-file", folder + "/broken.mustache", "--data", folder + "/data.json"], environment: environment)
        #expect(broken.status == 1)
        #expect(broken.standardError.contains("broken.mustache: line 2, column 1: section `{{#items}}` is never closed"))

        let missing = InProcessCLI.run(
            ["templates", "render", "--template-file", folder + "/partial.mustache", "--data", folder + "/data.json"], environment: environment)
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("line 3, column 1: partial `missing` not found"))
    }

    @Test func usageErrorsExit2() throws {
        let data = root + "/examples/mail/trial_ending.json"
        for arguments in [
            ["templates", "render", "--data", data],
            ["templates", "render", "trial_ending", "--template-file", "x.mustache", "--data", data],
            ["templates", "render", "trial_ending"],
            ["templates", "render", "trial_ending", "extra", "--data", data],
        ] {
            let result = InProcessCLI.run(arguments, environment: environment)
            #expect(result.status == 2, "\(arguments)")
        }
        let unknown = InProcessCLI.run(["templates", "render", "nope", "--data", data, "--templates", root + "/templates"], environment: environment)
        #expect(unknown.status == 1)
        #expect(unknown.standardError.contains("no mail named `nope`"))
    }

    /// A copy of the repository's templates without the `trial_ending` mail.
    private func templatesWithoutTrialEnding() throws -> String {
        let folder = try TollgateBinary.temporaryFolder() + "/templates"
        try FileManager.default.copyItem(atPath: root + "/templates", toPath: folder)
        for part in ["subject", "html", "text"] { try FileManager.default.removeItem(atPath: "\(folder)/trial_ending.\(part).mustache") }
        return folder
    }

    @Test func checkPassesOnTheRepositoryTemplates() throws {
        let result = try TollgateBinary.run(["templates", "check", "--templates", root + "/templates"], environment: environment)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("valid for every mail Tollgate sends"))
    }

    @Test func checkNamesAMissingMailAndExits1() throws {
        let folder = try templatesWithoutTrialEnding()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try TollgateBinary.run(["templates", "check", "--templates", folder], environment: environment)
        #expect(result.status == 1)
        #expect(result.standardError.contains("mail `trial_ending` is sent by Tollgate but \(folder) has no trial_ending.subject.mustache"),
                "\(result.standardError)")
        // TOLLGATE_TEMPLATES_DIR is the default folder.
        let configured = try TollgateBinary.run(["templates", "check"], environment: environment.merging(["TOLLGATE_TEMPLATES_DIR": folder]) { $1 })
        #expect(configured.status == 1 && configured.standardError.contains("trial_ending"))
    }

    /// With mail configured, `serve` checks the templates before it opens the store or listens:
    /// a missing one is one line naming the mail, exit 1.
    @Test func serveRefusesToStartWithoutATemplateTheCodeSends() throws {
        let folder = try templatesWithoutTrialEnding()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try TestDatabase.make(.sqlite)
        let result = try TollgateBinary.run(["serve", "--migrate"], environment: TollgateBinary.environment(databaseURL: store.url, extra: [
            "TOLLGATE_LISTEN": "127.0.0.1:0", "TOLLGATE_MAIL_URL": "file://" + folder, "TOLLGATE_MAIL_FROM": "Acme <billing@acme.example>",
            "TOLLGATE_APP_URL": "https://acme.example", "TOLLGATE_TEMPLATES_DIR": folder,
        ]))
        #expect(result.status == 1)
        let lines = result.standardError.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("TOLLGATE_TEMPLATES_DIR") && lines[0].contains("mail `trial_ending`"), "\(result.standardError)")
    }
}
