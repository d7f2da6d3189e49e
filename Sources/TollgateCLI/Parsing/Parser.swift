/// Turns `argv` into an ``Invocation`` of one command, or a ``UsageError``, or a request for help.
enum ParseResult {
    case run(Command, Invocation)
    case help(Command, path: [String])
}

enum Parser {
    static func parse(_ arguments: [String], root: Command, environment: [String: String], output: Output) throws(UsageError) -> ParseResult {
        var command = root
        var path = [root.name]
        var index = 0
        // Walk down the subcommands.
        while !command.subcommands.isEmpty {
            guard index < arguments.count else { return .help(command, path: path) }
            let word = arguments[index]
            if word == "--help" || word == "-h" { return .help(command, path: path) }
            guard let next = command.subcommands.first(where: { $0.name == word }) else {
                if word.hasPrefix("-") { throw UsageError("unknown option \(word)", command: path) }
                throw UsageError("unknown command \(word)", command: path)
            }
            command = next
            path.append(word)
            index += 1
        }
        let known = command.options + [.help, .json]
        var values: [String: String] = [:]
        var flags: Set<String> = []
        var positionals: [String] = []
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if word == "-h" { return .help(command, path: path) }
            if word == "--" {
                positionals += arguments[index...]
                break
            }
            guard word.hasPrefix("--") else {
                positionals.append(word)
                continue
            }
            let (name, inline) = split(word)
            guard let option = known.first(where: { $0.name == name }) else {
                throw UsageError("unknown option \(name)", command: path)
            }
            if option.valueName == nil {
                guard inline == nil else { throw UsageError("\(name) takes no value", command: path) }
                if name == "--help" { return .help(command, path: path) }
                flags.insert(name)
                continue
            }
            let value: String
            if let inline {
                value = inline
            } else {
                guard index < arguments.count else { throw UsageError("\(name) needs a value", command: path) }
                value = arguments[index]
                index += 1
            }
            if let choices = option.choices, !choices.contains(value) {
                throw UsageError("\(name) must be one of \(choices.joined(separator: ", ")); got \(value)", command: path)
            }
            values[name] = value
        }
        for option in command.options where option.required && values[option.name] == nil {
            throw UsageError("missing \(option.name) \(option.valueName ?? "")", command: path)
        }
        if positionals.count < command.arguments.count {
            throw UsageError("missing \(command.arguments[positionals.count])", command: path)
        }
        let allowed = command.arguments.count + command.optionalArguments.count
        if positionals.count > allowed {
            throw UsageError("unexpected argument \(positionals[allowed])", command: path)
        }
        return .run(command, Invocation(path: path, values: values, flags: flags, arguments: positionals, environment: environment, output: output))
    }

    private static func split(_ word: String) -> (String, String?) {
        guard let equals = word.firstIndex(of: "=") else { return (word, nil) }
        return (String(word[..<equals]), String(word[word.index(after: equals)...]))
    }
}
