import Foundation
import Testing
import TollgateMail
import TollgateTestSupport
import TollgateBase

/// The repository's `templates/`, rendered with the realistic data in `examples/mail/`.
@Suite struct TemplateSetTests {
    static let templates = TestDatabase.repositoryRoot + "/templates"
    /// The mails to customers (each greets the customer by name).
    static let mails = ["subscription_started", "trial_ending", "payment_failed", "subscription_canceled", "integration_disconnected", "usage_threshold", "credits_low", "seats_over_limit"]
    /// The mails to the operator.
    static let operatorMails = ["webhook_endpoint_disabled"]

    static func exampleData(_ name: String) throws -> MustacheValue {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/mail/\(name).json"))
        return try JSONDecoder().decode(MustacheValue.self, from: data)
    }

    /// The example data with a customer name that needs escaping.
    static func hostileData(_ name: String) throws -> MustacheValue {
        guard case .object(var members) = try exampleData(name), case .object(var customer)? = members["customer"] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        customer["name"] = "Tom & <b>\"Jerry\"</b>"
        members["customer"] = .object(customer)
        return .object(members)
    }

    @Test func loadsEveryMail() throws {
        let set = try TemplateSet.load(directory: Self.templates)
        #expect(set.names == (Self.mails + Self.operatorMails).sorted())
    }

    @Test(arguments: operatorMails)
    func operatorMailsRenderTheirExampleData(mail: String) throws {
        let rendered = try TemplateSet.load(directory: Self.templates).render(mail, data: try Self.exampleData(mail))
        #expect(!rendered.subject.isEmpty && !rendered.subject.contains("\n"))
        #expect(rendered.html.hasPrefix("<!DOCTYPE html>") && !rendered.text.contains("{{"))
    }

    @Test(arguments: mails)
    func rendersWithRealisticData(mail: String) throws {
        let set = try TemplateSet.load(directory: Self.templates)
        let data = try Self.exampleData(mail)
        let rendered = try set.render(mail, data: data)
        let customer = try #require(data["customer"]?["name"].flatMap { if case .string(let s) = $0 { s } else { nil } })
        #expect(!rendered.subject.isEmpty)
        #expect(!rendered.subject.contains("\n"))
        #expect(rendered.html.hasPrefix("<!DOCTYPE html>"))
        #expect(rendered.html.contains("<title>\(rendered.subject.replacingOccurrences(of: "&", with: "&amp;"))</title>"))
        #expect(rendered.html.contains("Hi \(customer),"))
        #expect(rendered.text.hasPrefix("Hi \(customer),\n"))
        // The layouts wrap both parts.
        #expect(rendered.html.contains("mailto:support@acme.example"))
        #expect(rendered.text.contains("\n--\nAcme Analytics · https://acme.example\n"))
        // No tag survives, no standalone line leaves a blank run behind.
        for part in [rendered.subject, rendered.html, rendered.text] {
            #expect(!part.contains("{{") && !part.contains("}}"))
        }
        #expect(!rendered.text.contains("\n\n\n"))
    }

    @Test func keyContentOfEachMail() throws {
        let set = try TemplateSet.load(directory: Self.templates)
        let started = try set.render("subscription_started", data: try Self.exampleData("subscription_started"))
        #expect(started.subject == "Welcome to Pro, Ada Lovelace")
        #expect(started.text.contains("Pro at $49.00 per month"))
        #expect(started.text.contains("trial runs until March 14, 2026"))
        #expect(!started.text.contains("next invoice"))
        #expect(started.html.contains("href=\"https://acme.example/billing?customer=cus_123&amp;tab=plan\""))
        #expect(started.text.contains("https://acme.example/billing?customer=cus_123&tab=plan"))

        let trial = try set.render("trial_ending", data: try Self.exampleData("trial_ending"))
        #expect(trial.subject == "Your Team trial ends on March 3, 2026")
        #expect(trial.html.contains("Your trial ends in 3 days"))
        #expect(trial.text.contains("Add a payment method before then"))

        let failed = try set.render("payment_failed", data: try Self.exampleData("payment_failed"))
        #expect(failed.subject == "Action needed: your payment of $49.00 failed")
        #expect(failed.text.contains("invoice INV-2026-0042 (Pro) failed: your card was declined."))
        #expect(failed.text.contains("We will try again on February 20, 2026."))

        let canceled = try set.render("subscription_canceled", data: try Self.exampleData("subscription_canceled"))
        #expect(canceled.subject == "Your Business subscription has been canceled")
        #expect(canceled.text.contains("You keep access until May 31, 2026."))

        let disconnected = try set.render("integration_disconnected", data: try Self.exampleData("integration_disconnected"))
        #expect(disconnected.subject == "Salesforce was disconnected from your account")
        #expect(disconnected.text.contains("Salesforce integration (acme.my.salesforce.com) was disconnected on February 12, 2026 at 09:30 UTC."))
        #expect(disconnected.html.contains("https://acme.example/integrations/salesforce/connect"))
    }

    @Test(arguments: mails)
    func htmlPartEscapesTheData(mail: String) throws {
        let rendered = try TemplateSet.load(directory: Self.templates).render(mail, data: try Self.hostileData(mail))
        #expect(rendered.html.contains("Hi Tom &amp; &lt;b&gt;&quot;Jerry&quot;&lt;/b&gt;,"))
        #expect(!rendered.html.contains("<b>\"Jerry\"</b>"))
        // Plain text is not HTML: it carries the name as given.
        #expect(rendered.text.contains("Hi Tom & <b>\"Jerry\"</b>,"))
    }

    @Test func unknownMailAndMissingPartialAreClearErrors() throws {
        let set = try TemplateSet.load(directory: Self.templates)
        #expect(throws: MustacheError.self) { try set.render("nope", data: [:]) }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-templates-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "Hi".write(to: folder.appendingPathComponent("hello.subject.mustache"), atomically: true, encoding: .utf8)
        try "Hi".write(to: folder.appendingPathComponent("hello.text.mustache"), atomically: true, encoding: .utf8)
        try "<p>\n{{> footer}}\n".write(to: folder.appendingPathComponent("hello.html.mustache"), atomically: true, encoding: .utf8)
        do {
            _ = try TemplateSet.load(directory: folder.path)
            Issue.record("loading should fail")
        } catch {
            #expect(error.code == .missingPartial)
            #expect(error.description.hasPrefix("hello.html.mustache: line 2, column 1: partial `footer` not found"))
        }
    }
}
