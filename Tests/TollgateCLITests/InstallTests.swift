import Foundation
import Testing
import TollgateTestSupport

/// scripts/install (issue 18): the installed `tollgate` runs from an unrelated folder with an
/// environment that names no toolchain (`PATH=/usr/bin:/bin`, no `LD_LIBRARY_PATH`), finds its
/// migrations, templates and the admin console's `console/` under `PREFIX/share/tollgate`, and links only Debian's runtime
/// libraries. scripts/test installs into a throwaway prefix under `CI=true` (after the release
/// build) and names it in `TOLLGATE_TEST_INSTALL_PREFIX`; elsewhere the suite is skipped, saying so.
private let installPrefix = ProcessInfo.processInfo.environment["TOLLGATE_TEST_INSTALL_PREFIX"]

@Suite(.enabled(if: installPrefix != nil || SharedTestData.isCI, "needs TOLLGATE_TEST_INSTALL_PREFIX (scripts/test sets it under CI=true)"))
struct InstallTests {
    static var prefix: String? { installPrefix }

    /// `sh -c 'cd FOLDER && exec PREFIX/bin/tollgate ARGUMENTS'` with exactly `environment`.
    static func installed(
        _ arguments: [String], in folder: String, environment: [String: String], output: ChildProcess.Output = .pipe, errors: ChildProcess.Output = .pipe
    ) throws -> ChildProcess {
        let prefix = try #require(Self.prefix, "TOLLGATE_TEST_INSTALL_PREFIX is not set")
        let command = "cd '\(folder)' && exec '\(prefix)/bin/tollgate' " + arguments.map { "'\($0)'" }.joined(separator: " ")
        return try ChildProcess(executable: "/bin/sh", arguments: ["-c", command], environment: environment, standardOutput: output, standardError: errors)
    }

    @Test func theInstalledBinaryLinksOnlyDebiansRuntimeLibraries() throws {
        let prefix = try #require(Self.prefix, "TOLLGATE_TEST_INSTALL_PREFIX is not set")
        let ldd = try ChildProcess(executable: "/usr/bin/ldd", arguments: [prefix + "/bin/tollgate"], standardOutput: .pipe)
        let text = String(decoding: ldd.readStandardOutput(), as: UTF8.self)
        #expect(ldd.waitForExit(timeout: .seconds(30)) == 0)
        let resolved = text.split(separator: "\n").compactMap { line in line.firstMatch(of: /=> (\S+)/).map { String($0.1) } }
        #expect(resolved.count > 5, "\(text)")
        for library in resolved {
            #expect(library.hasPrefix("/lib/") || library.hasPrefix("/usr/lib/"), "\(library) is not a Debian runtime library")
            #expect(!library.lowercased().contains("swift"), "\(library)")
        }
        #expect(!text.contains("not found"), "\(text)")
    }

    @Test func itRunsFromAnUnrelatedFolderWithoutTheToolchain() throws {
        let folder = try TollgateBinary.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let port = try #require(FreePort.reserve())
        let environment = [
            "PATH": "/usr/bin:/bin", "HOME": folder, "TOLLGATE_DATABASE_URL": "sqlite:\(folder)/tollgate.db", "TOLLGATE_LISTEN": "127.0.0.1:\(port)",
        ]
        let version = try Self.installed(["--version"], in: folder, environment: environment)
        #expect(String(decoding: version.readStandardOutput(), as: UTF8.self).hasPrefix("tollgate "))
        #expect(version.waitForExit(timeout: .seconds(30)) == 0)

        let log = folder + "/serve.log"
        let server = try Self.installed(["serve", "--migrate"], in: folder, environment: environment, output: .discard, errors: .file(log))
        defer { server.kill() }
        var ready = false
        for _ in 0..<300 where !ready {
            ready = (try? HTTPTestClient.request(port: port, path: "/readyz").status) == 200
            if !ready { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(ready, "the installed server never answered /readyz: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        // The admin console finds its installed templates and stylesheet (PREFIX/share/tollgate/console).
        let signIn = try HTTPTestClient.request(port: port, path: "/admin/sign-in")
        #expect(signIn.status == 200 && signIn.text.contains("name=\"api_key\""), "\(signIn.status) \(signIn.text.prefix(300))")
        #expect(try HTTPTestClient.request(port: port, path: "/admin/console.css").status == 200)
        server.signal(SIGTERM)
        #expect(server.waitForExit(timeout: .seconds(30)) == 0)
        // The migrations it applied are the installed ones: its store is current for the CLI too.
        let status = try Self.installed(["migrate", "--status", "--json"], in: folder, environment: environment)
        let page = String(decoding: status.readStandardOutput(), as: UTF8.self)
        #expect(status.waitForExit(timeout: .seconds(30)) == 0)
        #expect(page.contains("\"applied\"") && !page.contains("\"pending\""), "\(page)")
        // `init` finds the installed examples.
        let starter = try Self.installed(["init", "starter"], in: folder, environment: environment)
        #expect(starter.waitForExit(timeout: .seconds(30)) == 0)
        #expect(FileManager.default.fileExists(atPath: folder + "/starter/catalog.json"))
    }
}
