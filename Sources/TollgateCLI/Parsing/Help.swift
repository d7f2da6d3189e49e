import Foundation

/// The text `--help` prints for a command, written from its declarations.
enum Help {
    static func text(for command: Command, path: [String]) -> String {
        var lines = ["\(path.joined(separator: " ")): \(command.summary)", ""]
        if command.subcommands.isEmpty {
            let parameters = command.parameters
            let arguments = parameters.filter { $0.kind == .argument }
            let options = parameters.filter { $0.kind != .argument }
            var usage = "Usage: \(path.joined(separator: " "))"
            for argument in arguments { usage += argument.required ? " \(argument.name)" : " [\(argument.name)]" }
            for option in options { usage += option.required ? " \(label(option))" : " [\(label(option))]" }
            usage += " [--json]"
            lines.append(usage)
            if arguments.contains(where: { !$0.help.isEmpty }) {
                lines.append("")
                lines.append("Arguments:")
                for argument in arguments { lines.append(entry(argument.name, argument.help, choices: argument.choices)) }
            }
            lines.append("")
            lines.append("Options:")
            for option in options + CommonOptions.all {
                lines.append(entry(label(option), option.help, choices: option.choices))
            }
        } else {
            lines.append("Usage: \(path.joined(separator: " ")) <command> [options]")
            lines.append("")
            lines.append("Commands:")
            for sub in command.subcommands {
                lines.append("  \(sub.name.padding(toLength: max(16, sub.name.count + 2), withPad: " ", startingAt: 0))\(sub.summary)")
            }
            lines.append("")
            lines.append("Run `\(path.joined(separator: " ")) <command> --help` for a command's options.")
        }
        if let discussion = command.discussion {
            lines.append("")
            lines.append(discussion)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func label(_ parameter: ParameterDefinition) -> String {
        if case .option(let valueName) = parameter.kind { return "\(parameter.name) \(valueName)" }
        return parameter.name
    }

    private static func entry(_ name: String, _ help: String, choices: [String]?) -> String {
        var help = help
        if let choices { help += " (\(choices.joined(separator: "|")))" }
        return "  \(name.padding(toLength: max(24, name.count + 2), withPad: " ", startingAt: 0))\(help)"
    }
}
