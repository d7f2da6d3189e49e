import Foundation
import Testing
import TollgateTestSupport
@testable import TollgateCLI

/// `tollgate completion bash|zsh|fish` (issue 18) is written from the command tree. The bash
/// script is sourced in a real bash and asked, for every node of the tree, what follows it: a
/// group's subcommands, a command's options (with `--json`, `--help` and the global `--api-url` and
/// `--api-key`), and the closed sets of
/// values after an option that has one.
@Suite struct CompletionTests {
    /// What the bash script offers after `words` (the last one is the word being completed).
    static func offered(_ script: String, _ cases: [[String]]) throws -> [[String]] {
        let folder = try TollgateBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var driver = "source '\(folder)/tollgate.bash'\n"
        for words in cases {
            let quoted = words.map { "'\($0)'" }.joined(separator: " ")
            driver += "COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1); COMPREPLY=(); _tollgate; echo \"${COMPREPLY[*]}\"\n"
        }
        try script.write(toFile: folder + "/tollgate.bash", atomically: true, encoding: .utf8)
        try driver.write(toFile: folder + "/driver.sh", atomically: true, encoding: .utf8)
        let bash = try ChildProcess(executable: "/bin/bash", arguments: [folder + "/driver.sh"], standardOutput: .pipe, standardError: .pipe)
        let lines = String(decoding: bash.readStandardOutput(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(bash.waitForExit(timeout: .seconds(30)) == 0)
        return lines.prefix(cases.count).map { $0.split(separator: " ").map(String.init) }
    }

    @Test func bashOffersWhatTheTreeDeclaresAtEveryNode() throws {
        let result = InProcessCLI.run(["completion", "bash"], environment: [:])
        #expect(result.status == 0, "\(result.standardError)")
        var cases: [[String]] = []
        var expected: [[String]] = []
        func visit(_ command: Command, _ path: [String]) {
            if command.runnable == nil {
                cases.append(["tollgate"] + path + [""])
                expected.append(command.subcommands.map(\.name))
            } else {
                cases.append(["tollgate"] + path + ["--"])
                expected.append((command.parameters + CommonOptions.all).filter { $0.kind != .argument }.map(\.name))
                for parameter in command.parameters {
                    guard case .option = parameter.kind, let choices = parameter.choices else { continue }
                    cases.append(["tollgate"] + path + [parameter.name, ""])
                    expected.append(choices)
                }
            }
            for subcommand in command.subcommands { visit(subcommand, path + [subcommand.name]) }
        }
        visit(Commands.root, [])
        #expect(cases.count > 80)
        let offered = try Self.offered(result.standardOutput, cases)
        for (index, words) in cases.enumerated() {
            #expect(offered[index] == expected[index], "\(words.joined(separator: " "))")
        }
        // Options and their values are passed over on the way down; a prefix narrows the offer.
        #expect(try Self.offered(result.standardOutput, [["tollgate", "--json", "keys", "create", "--name", "x", "--scope", "w"], ["tollgate", "cu"]])
            == [["write"], ["customers"]])
        // The global options of remote mode are offered before the command too, and their values passed over.
        #expect(try Self.offered(result.standardOutput, [["tollgate", "--"], ["tollgate", "--api-url", "http://tollgate.internal:8080", "cu"]])
            == [CommonOptions.global.map(\.name) + ["--help"], ["customers"]])
    }

    @Test func zshAndFishNameEveryCommand() throws {
        let zsh = InProcessCLI.run(["completion", "zsh"], environment: [:])
        #expect(zsh.status == 0 && zsh.standardOutput.contains("bashcompinit") && zsh.standardOutput.contains("complete -F _tollgate tollgate"))
        let fish = InProcessCLI.run(["completion", "fish"], environment: [:])
        #expect(fish.status == 0)
        func visit(_ command: Command, _ path: [String]) {
            for subcommand in command.subcommands {
                // The condition is single-quoted, with the path's own quotes escaped inside it.
                #expect(fish.standardOutput.contains("-n 'test (__tollgate_path) = '\\''\(path.joined(separator: " "))'\\''' -a '\(subcommand.name)'"),
                    "fish: \(path + [subcommand.name])")
                visit(subcommand, path + [subcommand.name])
            }
        }
        visit(Commands.root, [])
        #expect(InProcessCLI.run(["completion", "tcsh"], environment: [:]).status == 2)
    }
}
