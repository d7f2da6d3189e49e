/// A command of the `tollgate` tool: its name, help, the options it takes and either
/// subcommands or an action.
struct Command: Sendable {
    typealias Action = @Sendable (Invocation) throws -> Void

    var name: String
    var summary: String
    var options: [Option]
    /// Names of positional arguments, in order, all required.
    var arguments: [String]
    /// Names of positional arguments that may follow the required ones, in order.
    var optionalArguments: [String] = []
    var subcommands: [Command]
    var action: Action?
    /// Extra paragraphs shown by `--help`.
    var discussion: String?

    init(
        _ name: String, summary: String, options: [Option] = [], arguments: [String] = [], optionalArguments: [String] = [],
        discussion: String? = nil, action: Action? = nil
    ) {
        self.name = name
        self.summary = summary
        self.options = options
        self.arguments = arguments
        self.optionalArguments = optionalArguments
        self.subcommands = []
        self.action = action
        self.discussion = discussion
    }

    init(_ name: String, summary: String, subcommands: [Command]) {
        self.name = name
        self.summary = summary
        self.options = []
        self.arguments = []
        self.subcommands = subcommands
        self.action = nil
    }
}

/// An option: a flag (`--migrate`) or an option with a value (`--scope admin`, `--scope=admin`).
struct Option: Sendable {
    var name: String
    /// The placeholder shown in help; nil for a flag.
    var valueName: String?
    var help: String
    var required: Bool
    /// Allowed values, checked by the parser.
    var choices: [String]?

    static func flag(_ name: String, _ help: String) -> Option {
        Option(name: name, valueName: nil, help: help, required: false, choices: nil)
    }

    static func value(_ name: String, _ valueName: String, _ help: String, required: Bool = false, choices: [String]? = nil) -> Option {
        Option(name: name, valueName: valueName, help: help, required: required, choices: choices)
    }
}

/// Options every command accepts.
extension Option {
    static let help = Option.flag("--help", "Show help for this command")
    static let json = Option.flag("--json", "Print machine-readable JSON instead of text")
}
