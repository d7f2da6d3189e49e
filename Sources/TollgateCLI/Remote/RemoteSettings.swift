import TollgateWire

/// The CLI's own settings for remote mode, declared once: each variable of the environment with
/// the global option that wins over it. They are the CLI's, not the service's: `tollgate serve`
/// never reads them, so they are not in `Configuration` (nor in its README table or the
/// environment file `tollgate init` writes); `docs/cli.md` documents them.
struct RemoteSettings {
    /// One setting: `TOLLGATE_API_URL` / `--api-url URL`.
    struct Setting: Sendable {
        var variable: String
        var option: ParameterDefinition
    }

    static let url = Setting(
        variable: "TOLLGATE_API_URL",
        option: ParameterDefinition(
            kind: .option(valueName: "URL"), name: "--api-url",
            help: "Run through the HTTP API of a running `tollgate serve` at URL (env TOLLGATE_API_URL)", required: false, choices: nil))
    static let key = Setting(
        variable: "TOLLGATE_API_KEY",
        option: ParameterDefinition(
            kind: .option(valueName: "KEY"), name: "--api-key", help: "The API key remote mode sends (env TOLLGATE_API_KEY)",
            required: false, choices: nil))
    static let all = [url, key]

    /// The values given on the command line, by option name (`--api-url`).
    var given: [String: String] = [:]

    /// Remote mode when a URL is given (option or environment), else nil (the local store).
    /// A URL needs a key, and must be `http://` or `https://`: a `configuration` failure naming
    /// the variable otherwise. The key is never part of a message.
    func remote(environment: [String: String]) throws -> RemoteAPI? {
        func value(_ setting: Setting) -> String? {
            (given[setting.option.name] ?? environment[setting.variable]).flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let url = value(Self.url) else { return nil }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw Self.invalid(
                variable: Self.url.variable, "\(Self.url.variable) (or --api-url) must be an http:// or https:// URL of a running `tollgate serve`")
        }
        guard let key = value(Self.key) else {
            throw Self.invalid(
                variable: Self.key.variable,
                "remote mode (\(Self.url.variable) or --api-url) needs an API key: set \(Self.key.variable) or pass --api-key")
        }
        return RemoteAPI(baseURL: url, key: key)
    }

    /// The `configuration` failure the CLI reports for a bad variable, naming it.
    private static func invalid(variable: String, _ message: String) -> Failure {
        Failure(.invalid, code: "configuration", message: message, details: [Failure.Detail(field: variable, issue: message)])
    }
}
