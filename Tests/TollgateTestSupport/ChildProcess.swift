package import Foundation
import Synchronization

/// A child process started with `posix_spawn`, for tests that run the `tollgate` executable or a
/// peer. Not Foundation's `Process`: on Linux it hands children a descriptor it watches and a
/// signal mask that blocks SIGTERM. Here the child starts with an empty signal mask and the
/// default dispositions for SIGTERM, SIGINT and SIGPIPE.
package final class ChildProcess: Sendable {
    /// Where a standard stream of the child goes.
    package enum Output: Sendable {
        /// The test process's own stream.
        case inherit
        /// `/dev/null`.
        case discard
        /// A file, created or truncated.
        case file(String)
        /// A pipe the test reads with ``readStandardOutput()`` / ``readStandardError()``
        /// (read it before the child fills the pipe's 64 KiB, or use `.file`).
        case pipe
    }

    package let pid: pid_t
    private let stdoutPipe: Int32?
    private let stderrPipe: Int32?
    /// The exit status once reaped.
    private let status = Mutex<Int32?>(nil)

    /// Starts `executable` (a path; not looked up in PATH) with `arguments` (argv[1…]).
    /// `environment` nil inherits the test's environment.
    package init(
        executable: String, arguments: [String] = [], environment: [String: String]? = nil,
        standardOutput: Output = .inherit, standardError: Output = .inherit
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var parentEnds: [Int32] = []
        var childEnds: [Int32] = []
        func route(_ output: Output, to descriptor: Int32) throws -> Int32? {
            switch output {
            case .inherit:
                return nil
            case .discard:
                posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0)
                return nil
            case .file(let path):
                posix_spawn_file_actions_addopen(&actions, descriptor, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                return nil
            case .pipe:
                var ends: [Int32] = [-1, -1]
                guard pipe(&ends) == 0 else {
                    throw HTTPTestClientError("pipe: \(String(cString: strerror(errno)))")
                }
                // Close-on-exec, so that other children never hold the pipe open.
                ends.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
                posix_spawn_file_actions_adddup2(&actions, ends[1], descriptor)  // dup2 clears close-on-exec
                parentEnds.append(ends[0])
                childEnds.append(ends[1])
                return ends[0]
            }
        }
        let closeAll = { (parentEnds + childEnds).forEach { _ = close($0) } }
        let outRead: Int32?
        let errRead: Int32?
        do {
            outRead = try route(standardOutput, to: 1)
            errRead = try route(standardError, to: 2)
        } catch {
            closeAll()
            throw error
        }

        let argv = [executable] + arguments
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var cArgv = argv.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        defer {
            cArgv.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, &cArgv, &cEnv)
        childEnds.forEach { _ = close($0) }
        guard result == 0 else {
            parentEnds.forEach { _ = close($0) }
            throw HTTPTestClientError("posix_spawn \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
        stdoutPipe = outRead
        stderrPipe = errRead
    }

    deinit {
        kill()
        stdoutPipe.map { _ = close($0) }
        stderrPipe.map { _ = close($0) }
    }

    /// Sends `signal` (SIGTERM, SIGINT, …) unless the child was already reaped.
    package func signal(_ signal: Int32) {
        status.withLock { status in
            if status == nil { _ = Foundation.kill(pid, signal) }
        }
    }

    /// Waits up to `timeout` for the child to exit: its exit code, `128 + n` when signal `n`
    /// ended it, or nil while it still runs.
    package func waitForExit(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let code = reap() { return code }
            if ContinuousClock.now >= deadline { return nil }
            var interval = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            _ = nanosleep(&interval, nil)
        }
    }

    /// Kills the child with SIGKILL and reaps it (idempotent).
    package func kill() {
        signal(SIGKILL)
        _ = waitForExit(timeout: .seconds(10))
    }

    /// Everything the child writes to a `.pipe` standard output, until it closes it.
    package func readStandardOutput() -> [UInt8] { stdoutPipe.map(Self.readAll) ?? [] }

    /// Everything the child writes to a `.pipe` standard error, until it closes it.
    package func readStandardError() -> [UInt8] { stderrPipe.map(Self.readAll) ?? [] }

    private static func readAll(_ descriptor: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                out += chunk[..<count]
            } else if count < 0, errno == EINTR {
                continue
            } else {
                return out
            }
        }
    }

    /// Reaps the child without blocking; the cached status once it has been reaped.
    private func reap() -> Int32? {
        status.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, WNOHANG)
            guard result == pid else { return nil }
            let low = raw & 0x7f
            status = low == 0 ? (raw >> 8) & 0xff : 128 + low
            return status
        }
    }
}
