import Foundation

/// The text `--help` prints for a command.
enum Help {
    static func text(for command: Command, path: [String]) -> String {
        var lines = ["\(path.joined(separator: " ")): \(command.summary)", ""]
        if command.subcommands.isEmpty {
            var usage = "Usage: \(path.joined(separator: " "))"
            for argument in command.arguments { usage += " \(argument)" }
            for argument in command.optionalArguments { usage += " [\(argument)]" }
            for option in command.options {
                let text = option.valueName.map { "\(option.name) \($0)" } ?? option.name
                usage += option.required ? " \(text)" : " [\(text)]"
            }
            usage += " [--json]"
            lines.append(usage)
            lines.append("")
            lines.append("Options:")
            for option in command.options + [.json, .help] {
                let name = option.valueName.map { "\(option.name) \($0)" } ?? option.name
                var help = option.help
                if let choices = option.choices { help += " (\(choices.joined(separator: "|")))" }
                lines.append("  \(name.padding(toLength: max(24, name.count + 2), withPad: " ", startingAt: 0))\(help)")
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
}
