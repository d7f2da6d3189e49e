import Foundation
import Testing
import TollgateTestSupport

/// `tollgate usage import FILE|-`: an NDJSON file of events through the batch path, in chunks.
@Suite struct UsageImportCommandTests {
    private func prepared(_ backend: Backend) throws -> (TestDatabase, [String: String]) {
        let store = try TestDatabase.make(backend)
        let environment = TollgateBinary.environment(databaseURL: store.url)
        #expect(InProcessCLI.run(["migrate"], environment: environment).status == 0)
        #expect(InProcessCLI.run(["plans", "apply", TestDatabase.repositoryRoot + "/examples/catalog.json"], environment: environment).status == 0)
        #expect(InProcessCLI.run(["customers", "upsert", "--external-id", "org_1"], environment: environment).status == 0)
        return (store, environment)
    }

    /// 25 lines in chunks of 4: good events, repeats of a key, a bad line, an unknown customer and
    /// a blank line. Counted, duplicates and refusals (with their lines) add up; a second import of
    /// the same file counts only its unkeyed events; the usage is what was counted.
    @Test(arguments: Backend.allCases)
    func importCountsEachEventOnceAndNamesRefusedLines(backend: Backend) throws {
        let (store, environment) = try prepared(backend)
        defer { withExtendedLifetime(store) {} }
        var lines: [String] = []
        for index in 0..<20 { lines.append(#"{"customer":"org_1","feature":"api.requests","quantity":2,"idempotency_key":"k\#(index % 15)"}"#) }
        lines.append("not json")                                                            // line 21
        lines.append(#"{"customer":"ghost","feature":"api.requests"}"#)                     // line 22
        lines.append("")                                                                    // line 23: skipped
        lines.append(#"{"customer":"org_1","feature":"api.requests","quantity":1}"#)        // line 24
        lines.append(#"{"customer":"org_1","feature":"seats"}"#)                            // line 25: not metered
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("usage-\(UUID().uuidString).ndjson").path
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }

        let result = InProcessCLI.run(["usage", "import", file, "--chunk", "4", "--json"], environment: environment)
        #expect(result.status == 0, "\(result.standardError)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        #expect(summary["events"] as? Int == 24)
        #expect(summary["counted"] as? Int == 16)
        #expect(summary["duplicate"] as? Int == 5)
        #expect(summary["refused"] as? Int == 3)
        let refusals = try #require(summary["refusals"] as? [[String: Any]])
        #expect(refusals.map { $0["line"] as? Int } == [21, 22, 25])
        #expect(refusals.map { $0["reason"] as? String } == ["invalid_json", "unknown_customer", "invalid_request"])
        #expect(result.standardError.contains("line 22: unknown_customer"))
        #expect(result.standardError.contains("24 events: 16 counted, 5 duplicate, 3 refused"), "progress: \(result.standardError)")

        let again = InProcessCLI.run(["usage", "import", file], environment: environment)
        #expect(again.status == 0)
        #expect(again.standardOutput == "Imported 24 events: 1 counted, 20 duplicate, 3 refused.\n", "\(again.standardOutput)")
        let shown = InProcessCLI.run(["entitlements", "show", "org_1", "--json"], environment: environment)
        let snapshot = try #require(try JSONSerialization.jsonObject(with: Data(shown.standardOutput.utf8)) as? [String: Any])
        let used = ((snapshot["entitlements"] as? [String: Any])?["api.requests"] as? [String: Any])?["used"] as? Int
        #expect(used == 15 * 2 + 1 + 1)
    }

    /// Standard input (`-`) through the binary; a missing file is exit 1, a bad chunk size exit 2.
    @Test func importReadsStandardInputAndFollowsTheExitCodes() throws {
        let (store, environment) = try prepared(.sqlite)
        defer { withExtendedLifetime(store) {} }
        let folder = try TollgateBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let events = (0..<2_500).map { #"{"customer":"org_1","feature":"api.requests","idempotency_key":"s\#($0)"}"# }.joined(separator: "\n") + "\n"
        try events.write(toFile: folder + "/in.ndjson", atomically: true, encoding: .utf8)
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", #"exec "$0" usage import - --json < "$1""#, TollgateBinary.path, folder + "/in.ndjson"],
            environment: environment, standardOutput: .file(folder + "/out"), standardError: .file(folder + "/err"))
        #expect(child.waitForExit(timeout: .seconds(60)) == 0)
        let output = try String(contentsOfFile: folder + "/out", encoding: .utf8)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
        #expect(summary["counted"] as? Int == 2_500)
        let progress = try String(contentsOfFile: folder + "/err", encoding: .utf8)
        #expect(progress.split(separator: "\n").count == 3, "a line per chunk of 1,000: \(progress)")

        #expect(try TollgateBinary.run(["usage", "import", folder + "/missing.ndjson"], environment: environment).status == 1)
        #expect(try TollgateBinary.run(["usage", "import", folder + "/in.ndjson", "--chunk", "1001"], environment: environment).status == 2)
        #expect(try TollgateBinary.run(["usage", "import", folder + "/in.ndjson", "--chunk", "0"], environment: environment).status == 2)
    }
}
