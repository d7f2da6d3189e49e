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
}
