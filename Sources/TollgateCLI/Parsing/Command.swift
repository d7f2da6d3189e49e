/// A command that runs: its name and help, its parameters — properties declared with
/// ``Option``, ``Flag`` and ``Argument`` — and what it does with them.
///
/// ```swift
/// struct Revoke: ParsableCommand {
///     static let name = "revoke"
///     static let summary = "Revoke an API key"
///     @Argument("ID") var id: String
///
///     func run(_ context: CommandContext) throws {
///         let key = try context.withServices { try $0.apiKeys.revoke(id: id) }
///         try context.emit(key) { $0.print("Revoked API key \(key.id) (\(key.name)).") }
///     }
/// }
/// ```
protocol ParsableCommand: SendableMetatype {
    static var name: String { get }
    static var summary: String { get }
    /// Paragraphs `--help` shows after the options ("" for none).
    static var discussion: String { get }
    /// A command whose parameters are not parsed yet; the parser fills them.
    init()
    func run(_ context: CommandContext) throws
}

extension ParsableCommand {
    static var discussion: String { "" }
}

/// A node of the `tollgate` command tree: a group of subcommands, or a command that runs.
struct Command: Sendable {
    var name: String
    var summary: String
    var discussion: String?
    var subcommands: [Command]
    /// The command that runs; nil for a group.
    var runnable: (any ParsableCommand.Type)?

    /// A group: `tollgate keys …`.
    static func group(_ name: String, summary: String, discussion: String? = nil, _ subcommands: [Command]) -> Command {
        Command(name: name, summary: summary, discussion: discussion, subcommands: subcommands, runnable: nil)
    }

    /// A command that runs.
    init(_ type: any ParsableCommand.Type) {
        self.init(name: type.name, summary: type.summary, discussion: type.discussion.isEmpty ? nil : type.discussion, subcommands: [], runnable: type)
    }

    private init(name: String, summary: String, discussion: String?, subcommands: [Command], runnable: (any ParsableCommand.Type)?) {
        self.name = name
        self.summary = summary
        self.discussion = discussion
        self.subcommands = subcommands
        self.runnable = runnable
    }

    /// The parameters a runnable command declares, in declaration order (none for a group).
    var parameters: [ParameterDefinition] {
        guard let runnable else { return [] }
        return Self.declaredParameters(of: runnable.init()).map(\.definition)
    }

    static func declaredParameters(of command: any ParsableCommand) -> [any CommandParameter] {
        declared(in: command)
    }

    private static func declared(in value: Any) -> [any CommandParameter] {
        Mirror(reflecting: value).children.flatMap { child -> [any CommandParameter] in
            if let parameter = child.value as? any CommandParameter { return [parameter] }
            if child.value is any ParameterGroup { return declared(in: child.value) }
            return []
        }
    }
}

/// Options every command accepts.
enum CommonOptions {
    static let help = ParameterDefinition(kind: .flag, name: "--help", help: "Show help for this command", required: false, choices: nil)
    static let json = ParameterDefinition(
        kind: .flag, name: "--json", help: "Print one JSON document (see `tollgate --help`) instead of text", required: false, choices: nil)
    /// `--api-url URL`, `--api-key KEY`: remote mode (``RemoteSettings``), given before or after the command's words.
    static let global = RemoteSettings.all.map(\.option)
    /// What every command accepts besides its own parameters, in the order help lists them.
    static let all = [json] + global + [help]
}

/// A command line that cannot be run as written (exit code 2).
struct UsageError: Error, CustomStringConvertible {
    var message: String

    init(_ message: String) { self.message = message }

    var description: String { message }
}
