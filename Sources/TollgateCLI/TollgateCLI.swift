import Foundation
import TollgateCore
import TollgateStore
import TollgateStripe

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

    private static func report(_ error: any Error, json: Bool, output: Output) {
        let (code, message) = describe(error)
        if json {
            var line = "{\"error\":{\"code\":"
            line += "\"\(code)\",\"message\":"
            line += jsonQuoted(message)
            line += "}}"
            output.error(line)
        } else {
            output.error("error: \(message)")
        }
    }

    /// A safe code and message for an error: descriptions of these types never carry secrets.
    static func describe(_ error: any Error) -> (code: String, message: String) {
        switch error {
        case let error as ConfigurationError: ("configuration", error.description)
        case let error as DomainError: ("invalid", error.description)
        case let error as StoreError: (error.code.description, error.description)
        case let error as CommandFailure: ("failed", error.description)
        case let error as CatalogError: ("invalid_catalog", error.description)
        case let error as BillingError: (error.code.rawValue, error.message)
        case let error as StripeError: ("stripe_error", error.description)
        case let error as IntegrationError: (error.code.rawValue, error.message)
        default: ("internal", String(describing: error))
        }
    }

    private static func jsonQuoted(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
