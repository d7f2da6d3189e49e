/// What a command line asks for: a command to run, with its parameters filled, or help.
enum ParseResult {
    case run(any ParsableCommand, path: [String], json: Bool, remote: RemoteSettings)
    case help(Command, path: [String])
}

/// Turns `argv` into a command to run (its declared parameters filled and converted), a request
/// for help, or a ``UsageError``.
enum Parser {
    static func parse(_ arguments: [String], root: Command) throws(ParseFailure) -> ParseResult {
        var command = root
        var path = [root.name]
        var index = 0
        var remote = RemoteSettings()
        // Walk down the subcommands; global options may come before them.
        while !command.subcommands.isEmpty {
            guard index < arguments.count else { return .help(command, path: path) }
            let word = arguments[index]
            if word == "--help" || word == "-h" { return .help(command, path: path) }
            do {
                if try takeGlobal(arguments[...], at: &index, into: &remote) { continue }
            } catch {
                throw ParseFailure(error.message, path: path)
            }
            guard let next = command.subcommands.first(where: { $0.name == word }) else {
                throw ParseFailure(word.hasPrefix("-") ? "unknown option \(word)" : "unknown command \(word)", path: path)
            }
            command = next
            path.append(word)
            index += 1
        }
        guard let runnable = command.runnable else { return .help(command, path: path) }
        let instance = runnable.init()
        do {
            guard let json = try fill(Command.declaredParameters(of: instance), from: arguments[index...], remote: &remote) else {
                return .help(command, path: path)
            }
            return .run(instance, path: path, json: json, remote: remote)
        } catch {
            throw ParseFailure(error.message, path: path)
        }
    }

    /// Assigns the command line's words to `parameters`; nil when it asks for help, else whether
    /// it asks for JSON.
    private static func fill(_ parameters: [any CommandParameter], from words: ArraySlice<String>, remote: inout RemoteSettings) throws(UsageError) -> Bool? {
        let options = parameters.filter { $0.definition.kind != .argument }
        let arguments = parameters.filter { $0.definition.kind == .argument }
        var values: [String: String] = [:]
        var json = false
        var positionals: [String] = []
        var index = words.startIndex
        while index < words.endIndex {
            let word = words[index]
            index += 1
            if word == "-h" { return nil }
            if word == "--" {
                positionals += words[index...]
                break
            }
            guard word.hasPrefix("--") else {
                positionals.append(word)
                continue
            }
            var at = words.index(before: index)
            if try takeGlobal(words, at: &at, into: &remote) {
                index = at
                continue
            }
            let (name, inline) = split(word)
            if name == CommonOptions.help.name || name == CommonOptions.json.name {
                guard inline == nil else { throw UsageError("\(name) takes no value") }
                if name == CommonOptions.help.name { return nil }
                json = true
                continue
            }
            guard let option = options.first(where: { $0.definition.name == name }) else { throw UsageError("unknown option \(name)") }
            if option.definition.kind == .flag {
                guard inline == nil else { throw UsageError("\(name) takes no value") }
                values[name] = ""
                continue
            }
            if let inline {
                values[name] = inline
            } else {
                guard index < words.endIndex else { throw UsageError("\(name) needs a value") }
                values[name] = words[index]
                index += 1
            }
        }
        for option in options {
            if option.definition.required, values[option.definition.name] == nil {
                guard case .option(let valueName) = option.definition.kind else { continue }
                throw UsageError("missing \(option.definition.name) \(valueName)")
            }
            try option.assign(values[option.definition.name])
        }
        for (position, argument) in arguments.enumerated() {
            guard position < positionals.count else {
                if argument.definition.required { throw UsageError("missing \(argument.definition.name)") }
                continue
            }
            try argument.assign(positionals[position])
        }
        if positionals.count > arguments.count { throw UsageError("unexpected argument \(positionals[arguments.count])") }
        return json
    }

    /// Takes the global option at `index` (`--api-url URL` or `--api-url=URL`) and moves past it;
    /// false when the word is not one.
    private static func takeGlobal(_ words: ArraySlice<String>, at index: inout Int, into remote: inout RemoteSettings) throws(UsageError) -> Bool {
        let (name, inline) = split(words[index])
        guard CommonOptions.global.contains(where: { $0.name == name }) else { return false }
        if let inline {
            remote.given[name] = inline
            index += 1
        } else {
            guard index + 1 < words.endIndex else { throw UsageError("\(name) needs a value") }
            remote.given[name] = words[index + 1]
            index += 2
        }
        return true
    }

    private static func split(_ word: String) -> (String, String?) {
        guard let equals = word.firstIndex(of: "=") else { return (word, nil) }
        return (String(word[..<equals]), String(word[word.index(after: equals)...]))
    }
}

/// A command line that cannot be parsed, with the command it names so far (for "Run … --help").
struct ParseFailure: Error {
    var message: String
    var path: [String]

    init(_ message: String, path: [String]) {
        self.message = message
        self.path = path
    }
}
