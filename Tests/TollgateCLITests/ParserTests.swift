import Foundation
import Testing
import Tollgate
@testable import TollgateCLI
import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateTestSupport

/// The command line: declarations parsed into typed values, help written from them, exit codes.
@Suite struct ParserTests {
    private func parse(_ arguments: [String]) throws(ParseFailure) -> ParseResult {
        try Parser.parse(arguments, root: Commands.root)
    }

    /// The command `arguments` runs, with its parameters filled.
    private func command<C: ParsableCommand>(_ arguments: [String], as type: C.Type = C.self) throws -> (C, json: Bool) {
        guard case .run(let command, _, let json, _) = try parse(arguments) else {
            Issue.record("expected a command to run for \(arguments)")
            throw ParseFailure("no command", path: [])
        }
        return (try #require(command as? C, "\(arguments) runs \(Swift.type(of: command))"), json)
    }

    @Test func optionsTakeValuesSeparatedOrInlineAndConvertToTheirTypes() throws {
        let (separated, json) = try command(["keys", "create", "--name", "svc", "--scope", "admin", "--json"], as: KeysCommands.Create.self)
        #expect(separated.keyName == "svc" && separated.scope == .admin && json)
        let (inline, plain) = try command(["keys", "create", "--name=svc", "--scope=read"], as: KeysCommands.Create.self)
        #expect(inline.scope == .read && !plain)

        let (check, _) = try command(["entitlements", "check", "org_1", "seats", "--quantity", "6"], as: EntitlementsCommands.Check.self)
        #expect(check.customer == "org_1" && check.feature == FeatureKey(validating: "seats") && check.quantity == 6)
        let (defaulted, _) = try command(["entitlements", "check", "org_1", "seats"], as: EntitlementsCommands.Check.self)
        #expect(defaulted.quantity == 1)

        let (set, _) = try command(
            ["subscriptions", "set", "org_1", "--plan", "pro", "--status", "past_due", "--period-end", "2030-01-31T12:00:00Z", "--cancel-at-period-end"],
            as: SubscriptionsCommands.SetState.self)
        #expect(set.status == .pastDue && set.quantity == nil && set.cancelAtPeriodEnd)
        #expect(set.periodEnd == Date(timeIntervalSince1970: 1_896_091_200))

        let (purge, _) = try command(["outbox", "purge", "--dead", "--older-than", "7"], as: OutboxCommands.Purge.self)
        #expect(purge.dead && purge.olderThan == 7)
        let (grant, _) = try command(["grants", "create", "org_1", "--feature", "sso", "--value", "unlimited", "--reason", "pilot"],
                                     as: GrantsCommands.Create.self)
        #expect(grant.value == .unlimited && grant.expiresAt == nil && grant.grantedBy == nil)
    }

    /// Options declared once in a group (`--limit`, `--starting-after`; `--idempotency-key`) are
    /// parsed for every command that holds the group.
    @Test func groupedOptionsAreParsedForEachCommandThatDeclaresThem() throws {
        let (list, _) = try command(["webhooks", "list", "--status", "failed", "--limit", "5", "--starting-after", "evt_1"], as: WebhooksCommands.List.self)
        #expect(list.status == .failed && list.page.limit == 5 && list.page.startingAfter == "evt_1")
        let (cancel, _) = try command(["subscriptions", "cancel", "org_1", "--idempotency-key", "op-1"], as: BillingCommands.Cancel.self)
        #expect(cancel.idempotency.scoped == "cli:op-1" && !cancel.atPeriodEnd)
        let (consume, _) = try command(["usage", "consume", "org_1", "exports.daily", "--idempotency-key", "k"], as: UsageCommands.Consume.self)
        #expect(consume.usage.request == UsageRequest(customer: "org_1", feature: "exports.daily", quantity: 1, idempotencyKey: "k"))
    }

    @Test func positionalArgumentsAreCounted() throws {
        #expect(try command(["keys", "revoke", "abc"], as: KeysCommands.Revoke.self).0.id == "abc")
        #expect(throws: ParseFailure.self) { try parse(["keys", "revoke"]) }
        #expect(throws: ParseFailure.self) { try parse(["keys", "revoke", "a", "b"]) }
        #expect(try command(["templates", "render", "--data", "d.json"], as: TemplatesCommands.Render.self).0.mail == nil)
        #expect(try command(["keys", "revoke", "--", "--odd-id"], as: KeysCommands.Revoke.self).0.id == "--odd-id")
    }

    @Test(arguments: [
        ["bogus"],
        ["keys", "create", "--name", "x"],
        ["keys", "create", "--name", "x", "--scope", "root"],
        ["keys", "create", "--name"],
        ["serve", "--port", "1"],
        ["serve", "--migrate=yes"],
        ["--verbose"],
        // A value that does not convert is refused, optional or not (never taken for "not given").
        ["customers", "list", "--limit", "x"],
        ["webhooks", "list", "--status", "bogus"],
        ["outbox", "purge", "--dead", "--older-than", "99999"],
        ["outbox", "purge", "--dead", "--older-than", "soon"],
        ["usage", "consume", "org_1", "exports.daily", "--quantity", "0"],
        ["usage", "consume", "org_1", "Bad Key"],
        ["subscriptions", "set", "org_1", "--plan", "pro", "--status", "active", "--period-end", "tomorrow"],
        ["subscriptions", "resume", "org_1", "--idempotency-key", ""],
        ["grants", "create", "org_1", "--feature", "sso", "--value", "lots", "--reason", "x"],
        ["customers", "upsert", "--external-id", "a", "--metadata", "[1]"],
    ])
    func badCommandLinesAreUsageErrors(arguments: [String]) {
        #expect(throws: ParseFailure.self) { try parse(arguments) }
    }

    @Test func aValueThatDoesNotConvertIsNamedWithWhatItMustBe() {
        #expect { try parse(["customers", "list", "--limit", "x"]) } throws: { error in
            (error as? ParseFailure)?.message == "--limit must be a whole number; got x"
        }
        #expect { try parse(["outbox", "purge", "--older-than", "-1"]) } throws: { error in
            (error as? ParseFailure)?.message == "--older-than must be a whole number from 0 to 36500; got -1"
        }
    }

    @Test(arguments: [[], ["--help"], ["keys"], ["keys", "--help"], ["keys", "create", "--help"], ["serve", "-h"], ["migrate", "--status", "--help"]])
    func helpIsOfferedForEveryLevel(arguments: [String]) throws {
        guard case .help(let command, let path) = try parse(arguments) else {
            Issue.record("expected help for \(arguments)")
            return
        }
        let text = Help.text(for: command, path: path)
        #expect(text.contains("Usage: \(path.joined(separator: " "))"))
    }

    /// Every command has a summary; a group has subcommands, a command its declarations; every
    /// declared name is unique within its command and shows in its help with its allowed values.
    @Test func everyCommandIsDeclaredOnceAndHelpShowsEachDeclaration() {
        func visit(_ command: Command, _ path: [String]) {
            #expect(!command.summary.isEmpty, "\(path)")
            #expect((command.runnable == nil) != command.subcommands.isEmpty, "\(path)")
            let help = Help.text(for: command, path: path)
            #expect(help.contains(command.summary))
            let names = command.parameters.map(\.name)
            #expect(Set(names).count == names.count, "\(path): \(names)")
            for parameter in command.parameters {
                #expect(help.contains(parameter.name), "\(path): \(parameter.name)")
                if let choices = parameter.choices { #expect(help.contains(choices.joined(separator: "|")), "\(path): \(parameter.name)") }
            }
            for sub in command.subcommands { visit(sub, path + [sub.name]) }
        }
        visit(Commands.root, ["tollgate"])
    }

    @Test func exitCodesAreZeroOneAndTwo() {
        let captured = CapturedOutput()
        #expect(TollgateCLI.run(["--help"], environment: [:], output: captured.output) == 0)
        #expect(captured.standardOutput.contains("Commands:"))
        #expect(TollgateCLI.run(["nope"], environment: [:], output: captured.output) == 2)
        #expect(captured.standardError.contains("unknown command nope"))
        #expect(TollgateCLI.run(["config", "check"], environment: ["TOLLGATE_LISTEN": "nowhere"], output: captured.output) == 1)
        #expect(captured.standardError.contains("TOLLGATE_LISTEN"))
    }

    /// With `--json`, a command line that does not parse is an error body too (code `usage`), exit 2.
    @Test func usageErrorsWithJSONAreAnErrorBody() throws {
        let result = InProcessCLI.run(["customers", "list", "--limit", "x", "--json"], environment: [:])
        #expect(result.status == 2 && result.standardOutput.isEmpty)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(result.standardError.utf8)) as? [String: [String: Any]])
        #expect(body["error"]?["code"] as? String == "usage")
        #expect(body["error"]?["message"] as? String == "--limit must be a whole number; got x")
        let unknown = InProcessCLI.run(["frobnicate", "--json"], environment: [:])
        #expect(unknown.status == 2 && unknown.standardError.contains(#""code":"usage""#))
    }

    /// `tollgate --help` states the JSON and exit-code rules, and the CLI guide states the same words.
    @Test func theRulesAreInTheHelpAndTheGuide() throws {
        let help = InProcessCLI.run(["--help"], environment: [:]).standardOutput
        #expect(help.contains(Commands.rules))
        for rule in ["--json", "{\"data\": [...], \"has_more\": bool}", "0  done", "1  the command failed", "2  the command line is wrong"] {
            #expect(Commands.rules.contains(rule), "\(rule)")
        }
        let guide = try String(contentsOfFile: TestDatabase.repositoryRoot + "/docs/cli.md", encoding: .utf8)
        let quoted = guide.contains(Commands.rules)
        #expect(quoted, "docs/cli.md must quote the rules of `tollgate --help` word for word")
    }
}
