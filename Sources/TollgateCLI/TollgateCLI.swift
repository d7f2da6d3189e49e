import Foundation
import TollgateCore

/// The `tollgate` command-line tool: `serve`, `migrate`, `keys`, `config`, ….
public enum TollgateCLI {
    /// Runs the command line of this process and exits with its status.
    public static func main() -> Never {
        let status = run(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment, output: .standard)
        exit(status)
    }

    /// Exit codes: 0 success, 1 the command failed, 2 the command line is wrong.
    static func run(_ arguments: [String], environment: [String: String], output: Output) -> Int32 {
        if arguments == ["--version"] {
            output.print("tollgate \(TollgateVersion.current)")
            return 0
        }
        let invocation: Invocation
        let command: Command
        do {
            switch try Parser.parse(arguments, root: Commands.root, environment: environment, output: output) {
            case .help(let helped, let path):
                output.print(Help.text(for: helped, path: path), terminator: "")
                return 0
            case .run(let parsed, let parsedInvocation):
                command = parsed
                invocation = parsedInvocation
            }
        } catch {
            output.error("tollgate: \(error.message)")
            output.error("Run `\(error.command.joined(separator: " ")) --help` for usage.")
            return 2
        }
        guard let action = command.action else { return 2 }
        do {
            try action(invocation)
            return 0
        } catch let error as UsageError {
            output.error("tollgate: \(error.message)")
            output.error("Run `\(error.command.joined(separator: " ")) --help` for usage.")
            return 2
        } catch {
            report(error, json: invocation.json, output: output)
            return 1
        }
    }

    /// A failed command's error on stderr: the API's error body with `--json`, a line otherwise.
    private static func report(_ error: any Error, json: Bool, output: Output) {
        let failure = CommandErrorReport.failure(for: error)
        output.error(json ? CommandErrorReport.json(failure) : CommandErrorReport.text(failure))
    }
}
