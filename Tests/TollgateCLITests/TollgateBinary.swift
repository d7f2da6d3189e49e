import Foundation
import TollgateTestSupport

/// The built `tollgate` executable, run as a child process the way an operator runs it.
enum TollgateBinary {
    /// Beside the test bundle in the build folder (`swift test` builds it: the test target depends on it).
    static var path: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("tollgate").path
    }

    struct Result {
        var status: Int32?
        var standardOutput: String
        var standardError: String
    }

    /// The environment a test gives the tool: the store's URL and the checkout's migrations.
    static func environment(databaseURL: String, extra: [String: String] = [:]) -> [String: String] {
        var environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "TOLLGATE_DATABASE_URL": databaseURL,
            "TOLLGATE_MIGRATIONS_DIR": TestDatabase.repositoryRoot + "/migrations",
        ]
        environment.merge(extra) { _, new in new }
        return environment
    }

    /// Runs `tollgate ARGUMENTS` to completion (at most 60 s).
    static func run(_ arguments: [String], environment: [String: String]) throws -> Result {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let child = try ChildProcess(
            executable: path, arguments: arguments, environment: environment,
            standardOutput: .file(folder + "/out"), standardError: .file(folder + "/err"))
        let status = child.waitForExit(timeout: .seconds(60))
        if status == nil { child.kill() }
        return Result(
            status: status,
            standardOutput: (try? String(contentsOfFile: folder + "/out", encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOfFile: folder + "/err", encoding: .utf8)) ?? "")
    }

    static func temporaryFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }
}
