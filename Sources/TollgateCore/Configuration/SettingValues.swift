/// Every variable of a table, read from an environment and parsed at once.
///
/// A bad value does not stop the reading: each problem is kept (the first per variable) and
/// ``check()`` throws them all together, so `tollgate config check` names every bad variable.
/// A value that failed reads as the variable's default, so the code that assembles the
/// configuration runs to the end and can add problems of its own (``fail(_:_:)``).
struct SettingValues {
    /// The whole environment (a providers file names further variables holding client secrets).
    let environment: [String: String]
    /// The table's variables in order.
    let settings: [any SettingDescription]
    /// The non-empty text of each variable that is set.
    let texts: [String: String]
    /// The variables present in the environment (even empty).
    let present: Set<String>
    private var parsed: [String: any Sendable] = [:]
    private var problems: [String: String] = [:]
    /// Names of the variables the configuration read, for the test that the table and the
    /// configuration agree.
    private(set) var read: Set<String> = []

    init(environment: [String: String], settings: [any SettingDescription]) {
        self.environment = environment
        self.settings = settings
        var texts: [String: String] = [:]
        var present: Set<String> = []
        for setting in settings {
            guard let text = environment[setting.name] else { continue }
            present.insert(setting.name)
            if !text.isEmpty { texts[setting.name] = text }
        }
        self.texts = texts
        self.present = present
        for setting in settings {
            guard let text = texts[setting.name] else { continue }
            do {
                parsed[setting.name] = try setting.parseAny(text)
            } catch {
                problems[setting.name] = error.message
            }
        }
    }

    /// The variable's value: as set, else its default (also when the value set was refused: the
    /// problem is kept for ``check()``).
    subscript<Value>(_ setting: Setting<Value>) -> Value {
        mutating get {
            read.insert(setting.name)
            guard settings.contains(where: { $0.name == setting.name }) else {
                fail(setting.name, "is read but not declared in Configuration.settings")
                return setting.defaultValue
            }
            // Unwrapped first: a missing entry must give the default, not a nil `Value?`.
            if let value = parsed[setting.name], let typed = value as? Value { return typed }
            return setting.defaultValue
        }
    }

    /// Whether a problem was found with the variable.
    func hasProblem<Value>(_ setting: Setting<Value>) -> Bool {
        problems[setting.name] != nil
    }

    /// Records a problem with a variable (unless one was already found).
    mutating func fail(_ name: String, _ message: String) {
        if problems[name] == nil { problems[name] = message }
    }

    /// Throws every problem found, in the table's order.
    func check() throws(ConfigurationError) {
        guard !problems.isEmpty else { return }
        let order = Dictionary(settings.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        let issues = problems.sorted { (order[$0.key] ?? .max, $0.key) < (order[$1.key] ?? .max, $1.key) }
            .map { ConfigurationError.Issue(variable: $0.key, message: $0.value) }
        throw ConfigurationError(issues: issues)
    }
}
