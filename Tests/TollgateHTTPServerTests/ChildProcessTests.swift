import Foundation
import Testing
import TollgateTestSupport

@Suite struct ChildProcessTests {
    @Test func exitCodeAndPipedOutput() throws {
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "echo out; echo err >&2; exit 3"],
            standardOutput: .pipe, standardError: .pipe)
        #expect(String(decoding: child.readStandardOutput(), as: UTF8.self) == "out\n")
        #expect(String(decoding: child.readStandardError(), as: UTF8.self) == "err\n")
        #expect(child.waitForExit(timeout: .seconds(10)) == 3)
    }

    @Test func sigtermReachesTheChild() throws {
        // The child's mask is empty even if the test runner blocks SIGTERM.
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "trap 'exit 7' TERM; while :; do sleep 0.05; done"],
            standardOutput: .discard)
        Thread.sleep(forTimeInterval: 0.2)
        child.signal(SIGTERM)
        #expect(child.waitForExit(timeout: .seconds(10)) == 7)
    }

    @Test func killEndsAChildThatIgnoresTerm() throws {
        let child = try ChildProcess(executable: "/bin/sleep", arguments: ["30"])
        #expect(child.waitForExit(timeout: .milliseconds(100)) == nil)
        child.kill()
        #expect(child.waitForExit(timeout: .seconds(1)) == 128 + SIGKILL)
    }

    @Test func environmentAndFileOutput() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString).txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "echo $TG_TEST_VALUE"], environment: ["TG_TEST_VALUE": "hello"],
            standardOutput: .file(path))
        #expect(child.waitForExit(timeout: .seconds(10)) == 0)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "hello\n")
    }

    @Test func missingExecutableThrows() {
        #expect(throws: (any Error).self) { try ChildProcess(executable: "/nonexistent/tool") }
    }
}
