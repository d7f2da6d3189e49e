/// A domain rule the caller broke; the API maps each kind to a status, the CLI to exit code 1.
/// Messages are shown to users: they name what is wrong, never secrets or SQL.
public enum DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A value failed validation: the field and what is wrong with it.
    case invalid(String, String)
    /// The named thing does not exist.
    case notFound(String)
    /// The change conflicts with the current state.
    case conflict(String)

    public var description: String {
        switch self {
        case .invalid(let field, let message): "\(field): \(message)"
        case .notFound(let what): "\(what) not found"
        case .conflict(let message): message
        }
    }
}
