import Foundation

/// `tollgate serve` as a child process on a free port: an instance a test can kill with SIGKILL.
/// The executable is the one `swift build --build-tests` puts beside the test bundle.
package final class ServeChild {
    package let child: ChildProcess
    package let logPath: String
    private let folder: String
    package private(set) var port = 0

    /// The built `tollgate` executable.
    package static var executable: String {
        let running = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: running).deletingLastPathComponent().appendingPathComponent("tollgate").path
    }

    /// Starts `tollgate serve` on the store at `databaseURL` (already migrated), with `environment` added.
    package convenience init(databaseURL: String, environment: [String: String] = [:]) throws {
        var variables = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "TOLLGATE_DATABASE_URL": databaseURL,
            "TOLLGATE_MIGRATIONS_DIR": TestDatabase.repositoryRoot + "/migrations",
        ]
        variables.merge(environment) { _, new in new }
        try self.init(environment: variables)
    }

    /// Starts `tollgate serve ARGUMENTS` with exactly `environment` (plus `TOLLGATE_LISTEN` on a free port).
    package init(environment: [String: String], arguments: [String] = []) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-serve-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        logPath = folder + "/serve.log"
        var variables = environment
        variables["TOLLGATE_LISTEN"] = "127.0.0.1:0"
        child = try ChildProcess(
            executable: Self.executable, arguments: ["serve"] + arguments, environment: variables,
            standardOutput: .discard, standardError: .file(logPath))
    }

    deinit {
        child.kill()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// What the process logged so far.
    package var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits for the "listening" log line and reads the port from it; false if the process exited
    /// or did not listen within `timeout`.
    package func waitUntilListening(timeout: Duration = .seconds(30)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            for line in log.split(separator: "\n") where line.contains("\"msg\":\"listening\"") {
                if let match = line.firstMatch(of: /"port":"(\d+)"/), let port = Int(match.1) {
                    self.port = port
                    return true
                }
            }
            if child.waitForExit(timeout: .milliseconds(50)) != nil { return false }
        }
        return false
    }
}
