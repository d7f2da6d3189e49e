/// One configuration variable, declared once: its name, what it takes, its default, whether its
/// value is secret, and a one-line summary.
///
/// Everything else derives from the declaration: parsing and validation (``SettingValues``; the
/// error names the variable), the default when the variable is unset or empty, the redacted value
/// `tollgate config check` prints, and the README's configuration table
/// (``Configuration/markdownTable()``). The declarations are in `Settings+*.swift`; the table
/// that lists them, in order, is ``Configuration/settings``.
struct Setting<Value: Sendable>: Sendable {
    /// The environment variable, `TOLLGATE_…`.
    let name: String
    let format: SettingFormat<Value>
    /// The value when the variable is unset or empty.
    let defaultValue: Value
    /// What an unset variable means when the default is no value: `unset`, `auto`, `none`.
    let unsetMeaning: String
    let secrecy: Secrecy
    /// One line for the README's table and `tollgate config check`.
    let summary: String

    init(
        _ name: String, _ format: SettingFormat<Value>, default defaultValue: Value, unset unsetMeaning: String = "unset",
        secrecy: Secrecy = .plain, summary: String
    ) {
        self.name = name
        self.format = format
        self.defaultValue = defaultValue
        self.unsetMeaning = unsetMeaning
        self.secrecy = secrecy
        self.summary = summary
    }
}

/// How a variable's value is written: how it is parsed, how a value is written back (for the
/// default), and what it accepts in words (the table's "values" column).
struct SettingFormat<Value: Sendable>: Sendable {
    /// What the variable accepts, in Markdown: `1–200`, `` `memory` or `store` ``.
    var accepts: String
    /// Parses a non-empty value; the thrown message says what was expected (the variable's name
    /// is added by the reader).
    var parse: @Sendable (String) throws(SettingProblem) -> Value
    /// The text that parses back to `value`; nil for "no value" (an optional setting's nil).
    var text: @Sendable (Value) -> String?

    init(accepts: String, parse: @escaping @Sendable (String) throws(SettingProblem) -> Value, text: @escaping @Sendable (Value) -> String?) {
        self.accepts = accepts
        self.parse = parse
        self.text = text
    }

    /// The same format for a variable that may be unset: the value is nil then.
    var optional: SettingFormat<Value?> {
        let parse = self.parse
        let text = self.text
        return SettingFormat<Value?>(accepts: accepts, parse: { value throws(SettingProblem) in try parse(value) }, text: { $0.flatMap(text) })
    }

    /// This format with a further check or conversion of the parsed value.
    func map<Other: Sendable>(
        accepts: String? = nil, _ transform: @escaping @Sendable (Value) throws(SettingProblem) -> Other, back: @escaping @Sendable (Other) -> Value
    ) -> SettingFormat<Other> {
        let parse = self.parse
        let text = self.text
        return SettingFormat<Other>(
            accepts: accepts ?? self.accepts, parse: { value throws(SettingProblem) in try transform(try parse(value)) }, text: { text(back($0)) })
    }
}

/// Why a value was refused, without the variable's name (``SettingValues`` adds it).
struct SettingProblem: Error, Sendable {
    var message: String
    init(_ message: String) { self.message = message }
}

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

/// A ``Setting`` without its value type: what the table, the reader and `config check` need.
protocol SettingDescription: Sendable {
    var name: String { get }
    var summary: String { get }
    var secrecy: Secrecy { get }
    /// What the variable accepts, in Markdown.
    var accepts: String { get }
    /// The default as the variable would be written (`127.0.0.1:8080`), or nil when the default is
    /// no value (then ``unsetMeaning`` says what unset means).
    var defaultText: String? { get }
    var unsetMeaning: String { get }
    /// Parses a non-empty value.
    func parseAny(_ text: String) throws(SettingProblem) -> any Sendable
}

extension Setting: SettingDescription {
    var accepts: String { format.accepts }
    var defaultText: String? { format.text(defaultValue) }

    func parseAny(_ text: String) throws(SettingProblem) -> any Sendable {
        try format.parse(text)
    }
}
