/// A domain rule the caller broke; the API maps each kind to a status, the CLI to exit code 1.
/// Messages are shown to users: they name what is wrong, never secrets or SQL.
public enum DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A value failed validation: the field and what is wrong with it.
    case invalid(String, String)
    /// The named thing does not exist.
    case notFound(String)
    /// The change conflicts with the current state.
    case conflict(String)
    /// No customer has this external id.
    case unknownCustomer(String)
    /// The catalog has no feature with this key.
    case unknownFeature(String)

    public var description: String {
        switch self {
        case .invalid(let field, let message): "\(field): \(message)"
        case .notFound(let what): "\(what) not found"
        case .conflict(let message): message
        case .unknownCustomer(let id): "no customer with external id \(id)"
        case .unknownFeature(let key): "no feature \(key) in the catalog"
        }
    }
}
