import Testing
@testable import TollgateCLI

@Suite struct ParserTests {
    private func parse(_ arguments: [String]) throws(UsageError) -> ParseResult {
        try Parser.parse(arguments, root: Commands.root, environment: [:], output: CapturedOutput().output)
    }

    private func invocation(_ arguments: [String]) throws -> Invocation {
        guard case .run(_, let invocation) = try parse(arguments) else {
            Issue.record("expected a command to run for \(arguments)")
            throw UsageError("no command", command: [])
        }
        return invocation
    }

    @Test func optionsTakeValuesSeparatedOrInline() throws {
        let separated = try invocation(["keys", "create", "--name", "svc", "--scope", "admin", "--json"])
        #expect(separated.path == ["tollgate", "keys", "create"])
        #expect(separated.value("--name") == "svc")
        #expect(separated.value("--scope") == "admin")
        #expect(separated.json)
        let inline = try invocation(["keys", "create", "--name=svc", "--scope=read"])
        #expect(inline.value("--scope") == "read")
        #expect(!inline.json)
    }

    @Test func positionalArgumentsAreCounted() throws {
        #expect(try invocation(["keys", "revoke", "abc"]).arguments == ["abc"])
        #expect(throws: UsageError.self) { try parse(["keys", "revoke"]) }
        #expect(throws: UsageError.self) { try parse(["keys", "revoke", "a", "b"]) }
    }

    @Test(arguments: [
        ["bogus"],
        ["keys", "create", "--name", "x"],
        ["keys", "create", "--name", "x", "--scope", "root"],
        ["keys", "create", "--name"],
        ["serve", "--port", "1"],
        ["serve", "--migrate=yes"],
        ["--verbose"],
    ])
    func badCommandLinesAreUsageErrors(arguments: [String]) {
        #expect(throws: UsageError.self) { try parse(arguments) }
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

    @Test func everyCommandHasHelpTextAndAnActionOrSubcommands() {
        func visit(_ command: Command, _ path: [String]) {
            #expect(!command.summary.isEmpty, "\(path)")
            #expect((command.action == nil) != command.subcommands.isEmpty, "\(path)")
            #expect(Help.text(for: command, path: path).contains(command.summary))
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
}
