import TollgateCore

/// A parsed command line: which command, its options and arguments, and where output goes.
struct Invocation: Sendable {
    var path: [String]
    var values: [String: String]
    var flags: Set<String>
    var arguments: [String]
    var environment: [String: String]
    var output: Output

    var json: Bool { flags.contains("--json") }

    func value(_ option: String) -> String? { values[option] }

    func flag(_ option: String) -> Bool { flags.contains(option) }

    /// `--limit N` and `--starting-after ID` as a page request (a non-number is a usage error).
    func pageRequest() throws -> PageRequest {
        var limit: Int?
        if let text = value("--limit") {
            guard let number = Int(text) else { throw UsageError("--limit must be a whole number", command: path) }
            limit = number
        }
        return try PageRequest(limit: limit, startingAfter: value("--starting-after"))
    }

    /// A required option's value; the parser has already checked that required options are there.
    func required(_ option: String) throws -> String {
        guard let value = values[option] else { throw UsageError("missing \(option)", command: path) }
        return value
    }
}

/// A command line that cannot be run as written (exit code 2).
struct UsageError: Error, CustomStringConvertible {
    var message: String
    var command: [String]

    init(_ message: String, command: [String]) {
        self.message = message
        self.command = command
    }

    var description: String { message }
}
