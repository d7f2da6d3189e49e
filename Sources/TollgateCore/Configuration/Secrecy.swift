/// Whether a variable's value may be printed.
enum Secrecy: Sendable {
    /// Printed as set.
    case plain
    /// Never printed: `config check` shows ``Redaction/mask``.
    case secret
    /// Printed with its secret parts masked by the function (a database URL's password).
    case masked(@Sendable (String) -> String)

    /// `text` as `config check` may print it.
    func redact(_ text: String) -> String {
        switch self {
        case .plain: text
        case .secret: Redaction.mask
        case .masked(let mask): mask(text)
        }
    }
}
