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
