import Foundation

/// Standard input as a command sees it: whether a person is at it (a terminal), and its lines.
/// Tests give an ``Input`` of their own; in-process runs default to no terminal and no lines.
package struct Input: Sendable {
    package var isTerminal: Bool
    private let next: @Sendable () -> String?

    package init(isTerminal: Bool, readLine: @escaping @Sendable () -> String?) {
        self.isTerminal = isTerminal
        next = readLine
    }

    /// The process's standard input.
    package static var standard: Input { Input(isTerminal: isatty(0) == 1) { Swift.readLine() } }

    /// Not a terminal, and nothing to read.
    package static let none = Input(isTerminal: false) { nil }

    /// The next line, without its line end; nil at the end of the input.
    func readLine() -> String? { next() }
}

/// `--yes` of a destructive command (revoke, disconnect, purge, delete, archiving a plan that
/// customers are on): on a terminal the command asks first; otherwise `--yes` is required, since
/// there is no one to ask, and without it the command line is refused (exit 2) with nothing done.
///
/// ```swift
/// var confirmation = Confirmation()
/// func run(_ context: CommandContext) throws {
///     try confirmation.confirm("Revoke API key \(id)", context)
///     …
/// }
/// ```
struct Confirmation: ParameterGroup {
    @Flag("--yes", "Do it without asking (required when standard input is not a terminal)") var yes: Bool

    init() {}

    /// Returns when the operator confirmed `action` (or passed `--yes`); throws otherwise, before
    /// anything is changed.
    func confirm(_ action: String, _ context: CommandContext) throws {
        if yes { return }
        guard context.input.isTerminal else {
            throw UsageError("\(action): pass --yes to confirm (standard input is not a terminal, so there is no one to ask)")
        }
        context.output.prompt("\(action)? [y/N] ")
        let answer = context.input.readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
        guard answer == "y" || answer == "yes" else { throw CommandFailure("not confirmed: nothing was changed") }
    }
}
