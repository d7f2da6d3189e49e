/// One configuration variable, declared once: its name, what it takes, its default, whether its
/// value is secret, and a one-line summary.
///
/// Everything else derives from the declaration: parsing and validation (``SettingValues``; the
/// error names the variable), the default when the variable is unset or empty, the redacted value
/// `tollgate config check` prints, and the configuration reference's table
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
    /// One line for the configuration reference's table.
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
