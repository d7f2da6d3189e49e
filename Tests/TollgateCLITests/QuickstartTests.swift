import Foundation
import Testing
import TollgateTestSupport

/// The README's quickstart (issue 18), run as written: its first block (`scripts/run`) serves, and
/// the other blocks run in order in one bash session from the checkout, each command's output held
/// to the `#> ` line that follows it (`…` stands for any text: ids, times). Only the environment is
/// the test's own: the database is a throwaway file, so a developer's `./tollgate.db` is untouched.
///
/// `scripts/run` serves the release build on port 8080, as the README says; scripts/test builds it
/// under `CI=true` and sets `TOLLGATE_TEST_QUICKSTART=1`; elsewhere the suite is skipped, saying so.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_TEST_QUICKSTART"] == "1" || SharedTestData.isCI,
                "needs the release build and port 8080 (scripts/test sets TOLLGATE_TEST_QUICKSTART=1 under CI=true)"))
struct QuickstartTests {
    /// One command of the quickstart and what it must print.
    struct Step {
        var command: String
        var expected: String?
    }

    /// The `sh` blocks of the README's "## Quickstart" section, in order.
    static func blocks() throws -> [String] {
        let readme = try String(contentsOfFile: TestDatabase.repositoryRoot + "/README.md", encoding: .utf8)
        let start = try #require(readme.range(of: "\n## Quickstart\n"), "the README has no Quickstart section")
        let end = readme.range(of: "\n## ", range: start.upperBound..<readme.endIndex)?.lowerBound ?? readme.endIndex
        let section = readme[start.upperBound..<end]
        return section.matches(of: /```sh\n((?:.|\n)*?)```/).map { String($0.1) }
    }

    /// A block's commands (continuation lines joined), each with the `#> ` line after it.
    static func steps(_ block: String) -> [Step] {
        var steps: [Step] = []
        var pending = ""
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("#> ") {
                steps[steps.count - 1].expected = String(line.dropFirst(3))
            } else if line.hasSuffix("\\") {
                pending += line.dropLast()
            } else if !line.trimmingCharacters(in: .whitespaces).isEmpty || !pending.isEmpty {
                steps.append(Step(command: pending + line))
                pending = ""
            }
        }
        return steps
    }

    /// Whether `output` is `expected` with each `…` standing for any text.
    static func matches(_ output: String, _ expected: String) -> Bool {
        let pattern = expected.components(separatedBy: "…").map(NSRegularExpression.escapedPattern(for:)).joined(separator: ".*")
        return output.range(of: "^" + pattern + "$", options: .regularExpression) != nil
    }

    @Test func theReadmesQuickstartRunsAsWritten() throws {
        let blocks = try Self.blocks()
        #expect(blocks.count >= 5, "the quickstart's blocks: \(blocks.count)")
        let serve = try #require(blocks.first)
        #expect(serve.trimmingCharacters(in: .whitespacesAndNewlines) == "scripts/run", "step 1 starts the service: \(serve)")
        #expect(FreePort.isFree(8080), "port 8080, where the quickstart serves, is taken")

        let folder = try TollgateBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TOLLGATE_") }
        environment["TOLLGATE_DATABASE_URL"] = "sqlite:\(folder)/tollgate.db"
        let root = TestDatabase.repositoryRoot
        let log = folder + "/serve.log"
        let server = try ChildProcess(
            executable: "/bin/bash", arguments: ["-c", "cd '\(root)' && \(serve)"], environment: environment,
            standardOutput: .file(log), standardError: .file(log))
        defer { server.kill() }
        var ready = false
        for _ in 0..<3000 where !ready {  // scripts/run first checks the packages and the release build
            ready = (try? HTTPTestClient.request(port: 8080, path: "/readyz").status) == 200
            if !ready { Thread.sleep(forTimeInterval: 0.1) }
        }
        try #require(ready, "scripts/run never answered /readyz on 8080: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")

        let steps = blocks.dropFirst().flatMap(Self.steps)
        #expect(steps.count >= 7)
        var script = "set -euo pipefail\ncd '\(root)'\n"
        for (index, step) in steps.enumerated() {
            script += "echo '@@@ \(index)'\n\(step.command)\necho\n"
        }
        let shell = try ChildProcess(
            executable: "/bin/bash", arguments: ["-c", script], environment: environment, standardOutput: .pipe, standardError: .pipe)
        let output = String(decoding: shell.readStandardOutput(), as: UTF8.self)
        let errors = String(decoding: shell.readStandardError(), as: UTF8.self)
        #expect(shell.waitForExit(timeout: .seconds(120)) == 0, "the quickstart failed:\n\(output)\n\(errors)")

        var outputs: [Int: String] = [:]
        for segment in output.components(separatedBy: "@@@ ").dropFirst() {
            let (number, rest) = (segment.prefix { $0 != "\n" }, segment.drop { $0 != "\n" })
            outputs[Int(number) ?? -1] = rest.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(outputs.count == steps.count, "every command ran: \(output)\n\(errors)")
        for (index, step) in steps.enumerated() {
            guard let expected = step.expected else { continue }
            let printed = outputs[index] ?? ""
            #expect(Self.matches(printed, expected), "`\(step.command)` printed \(printed), the README says \(expected)")
        }
        server.signal(SIGTERM)
        #expect(server.waitForExit(timeout: .seconds(30)) == 0)
    }
}

/// How the quickstart test reads the README: continuation lines, expectations and wildcards.
@Suite struct QuickstartReadingTests {
    @Test func stepsAndExpectationsAreReadAsTheReaderSeesThem() {
        let steps = QuickstartTests.steps("a \\\n  b\n#> {…\"x\":1}\nc\n")
        #expect(steps.map(\.command) == ["a   b", "c"])
        #expect(steps.map(\.expected) == ["{…\"x\":1}", nil])
        #expect(QuickstartTests.matches(#"{"id":"cus_1","x":1}"#, #"{…"x":1}"#))
        #expect(!QuickstartTests.matches(#"{"x":2}"#, #"{…"x":1}"#))
        #expect(!QuickstartTests.matches("a.b", "a…c"))
        #expect(QuickstartTests.matches("(1+1)", "(1+1)"), "the rest of the text is literal")
    }
}
