import TollgateCore
import TollgateMail
package import TollgateWire

/// A failure to report to the operator (exit code 1), already phrased for them: a command's own
/// refusal, with code `failed`.
struct CommandFailure: Error, CustomStringConvertible, FailureConvertible {
    var description: String

    init(_ message: String) { description = message }

    var failure: Failure { Failure(.invalid, code: "failed", message: description) }
}

/// A variable of the environment is missing or invalid: `configuration`, naming the variable.
extension ConfigurationError: FailureConvertible {
    package var failure: Failure {
        Failure(.invalid, code: "configuration", message: description, details: issues.map { Failure.Detail(field: $0.variable, issue: $0.message) })
    }
}

/// A mail template that does not parse or render: `invalid_template`, naming the file.
extension MustacheError: FailureConvertible {
    package var failure: Failure {
        Failure(.invalid, code: "invalid_template", message: description, details: [Failure.Detail(field: template, issue: reason)])
    }
}

/// What a failed command prints: the same ``Failure`` the API answers for the same error, so
/// `tollgate … --json` writes the API's error body (``ErrorBody``) with the API's code, message
/// and details (`unknown_customer`, `not_found`, `no_subscription`, `stripe_error`, …). Where the
/// API keeps the cause from its client and logs it (a 500, the store unavailable), the CLI
/// appends it to the message: the operator reading the CLI is the one who would read that log.
enum CommandErrorReport {
    static func failure(for error: any Error) -> Failure {
        var failure = Failure(error)
        if let cause = failure.cause { failure.message += ": \(cause)" }
        return failure
    }

    /// The error body, one line, as the API writes it.
    static func json(_ failure: Failure) -> String {
        String(decoding: ErrorBody(code: failure.code, message: failure.message, details: failure.details).json, as: UTF8.self)
    }

    /// The line for people.
    static func text(_ failure: Failure) -> String { "error: \(failure.message)" }
}
