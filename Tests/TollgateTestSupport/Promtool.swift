import Foundation
import Testing

/// `promtool`, Prometheus's checker (Debian's `prometheus` package; `scripts/bootstrap --test`
/// installs it): lints a scrape of `/metrics` and checks alert rules.
///
/// Tests that need it are enabled with `.enabled(if: Promtool.shouldRun)`: skipped, and named as
/// skipped, where it is not installed, but failing when `CI=true` and it is missing.
package enum Promtool {
    /// The executable, found on `PATH`.
    package static var path: String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") + ["/usr/bin", "/usr/local/bin"]
        return directories.map { "\($0)/promtool" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// True when the tests that need it should run: it is installed, or CI requires it.
    package static var shouldRun: Bool { path != nil || ProcessInfo.processInfo.environment["CI"] == "true" }

    /// What one run printed and how it ended.
    package struct Result: Sendable {
        package var status: Int32?
        package var output: String
        package var succeeded: Bool { status == 0 }
    }

    /// `promtool check metrics` over `text` (a scrape), given on its standard input.
    package static func checkMetrics(_ text: String) throws -> Result {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("scrape-\(UUID().uuidString).txt").path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try run(shell: "\"$0\" check metrics < \"$1\"", file)
    }

    /// `promtool check rules FILE`.
    package static func checkRules(_ file: String) throws -> Result {
        try run(shell: "\"$0\" check rules \"$1\"", file)
    }

    private static func run(shell script: String, _ argument: String) throws -> Result {
        guard let path else {
            throw PromtoolMissing()
        }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("promtool-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", script + " > \"$2\" 2>&1", path, argument, output], standardOutput: .discard,
            standardError: .discard)
        let status = child.waitForExit(timeout: .seconds(60))
        return Result(status: status, output: (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }
}

/// promtool is not installed.
package struct PromtoolMissing: Error, CustomStringConvertible {
    package var description: String {
        "promtool is not on PATH: install Debian's prometheus package (scripts/bootstrap --test does)"
    }
}
