import Foundation
import TollgateBase
import TollgateCore
import TollgateWire

/// The `tollgate` command-line tool: `serve`, `migrate`, `keys`, `config`, ….
package enum TollgateCLI {
    /// Runs the command line of this process and exits with its status.
    package static func main() -> Never {
        let status = run(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment, output: .standard, input: .standard)
        exit(status)
    }

    /// Runs one command line to completion and returns its exit code (``ExitCode``); in-process
    /// tests call this with a ``CapturedOutput`` (and standard input that is no terminal, unless
    /// they give one).
    package static func run(_ arguments: [String], environment: [String: String], output: Output, input: Input = .none) -> Int32 {
        if arguments == ["--version"] {
            output.print("tollgate \(TollgateVersion.current)")
            return ExitCode.done
        }
        // Before `--`, `--json` asks for JSON errors too, even on a command line that does not parse.
        let json = arguments.prefix { $0 != "--" }.contains(CommonOptions.json.name)
        let command: any ParsableCommand
        var context: CommandContext
        let remote: RemoteSettings
        do {
            switch try Parser.parse(arguments, root: Commands.root) {
            case .help(let helped, let path):
                output.print(Help.text(for: helped, path: path), terminator: "")
                return ExitCode.done
            case .run(let parsed, let path, let json, let given):
                command = parsed
                context = CommandContext(path: path, environment: environment, output: output, input: input, json: json)
                remote = given
            }
        } catch {
            reportUsage(error.message, path: error.path, json: json, output: output)
            return ExitCode.usage
        }
        do {
            context.remote = try remote.remote(environment: environment)
            // A command is one operation: its log lines and outbound calls (the API's, in remote
            // mode) share a trace.
            try TraceContext.startingTrace { try command.run(context) }
            return ExitCode.done
        } catch let error as UsageError {
            reportUsage(error.message, path: context.path, json: json, output: output)
            return ExitCode.usage
        } catch {
            let failure = CommandErrorReport.failure(for: error)
            output.error(json ? CommandErrorReport.json(failure) : CommandErrorReport.text(failure))
            return ExitCode.failed
        }
    }

    /// A command line that cannot run: the error body with code `usage` with `--json`, else the
    /// problem and where to read the usage.
    private static func reportUsage(_ message: String, path: [String], json: Bool, output: Output) {
        if json {
            output.error(CommandErrorReport.json(.init(.invalid, code: "usage", message: message)))
        } else {
            output.error("tollgate: \(message)")
            output.error("Run `\(path.joined(separator: " ")) --help` for usage.")
        }
    }
}

/// The exit codes, one rule for every command (`tollgate --help` states it).
package enum ExitCode {
    /// The command did what was asked. A denial (`entitlements check`, `usage consume`) is an
    /// answer, not a failure.
    package static let done: Int32 = 0
    /// The command failed; stderr says why.
    package static let failed: Int32 = 1
    /// The command line is wrong.
    package static let usage: Int32 = 2
}
