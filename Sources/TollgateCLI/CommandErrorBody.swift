import TollgateAPI
import TollgateCore
import TollgateHTTPServer
import TollgateLogging
import TollgateMail
import TollgateStore

/// What a failed command reports (exit code 1): the API's error body for the same error.
///
/// One rule, one place: every error the HTTP API can meet too goes through the API's own mapping,
/// ``APIErrors/httpError(for:logger:)``, so `tollgate … --json` prints
/// `{"error":{"code":…,"message":…,"details":[…]}}` with the code, message and details the API
/// answers for the same situation (`unknown_customer`, `unknown_feature`, `not_found`,
/// `invalid_request`, `conflict`, Stripe's and the integrations' codes, …).
///
/// Errors only the CLI meets keep codes of their own: `configuration` (the environment),
/// `invalid_catalog` (a catalog file), `invalid_template` (a template file), `failed` (a command's
/// own refusal). Where the API keeps the cause from its client and writes it to its log instead (a
/// 500, the store unavailable), the CLI appends the cause to the API's message: the operator reading
/// the CLI is the one who would read that log. Descriptions of these types never carry secrets.
struct CommandErrorBody {
    /// The error as the API would answer it (the status is not shown: the exit code is 1).
    var error: HTTPError

    init(for error: any Error) {
        switch error {
        case let error as ConfigurationError:
            self.error = HTTPError(status: 500, code: "configuration", message: error.description,
                                   details: error.issues.map { .init(field: $0.variable, issue: $0.message) })
        case let error as CatalogError:
            self.error = HTTPError(status: 400, code: "invalid_catalog", message: error.description,
                                   details: error.problems.map { .init(field: $0.place, issue: $0.message) })
        case let error as MustacheError:
            self.error = HTTPError(status: 400, code: "invalid_template", message: error.description,
                                   details: [.init(field: error.template, issue: error.reason)])
        case let error as CommandFailure:
            self.error = HTTPError(status: 400, code: "failed", message: error.description)
        default:
            var mapped = APIErrors.httpError(for: error, logger: .disabled)
            if mapped.code == HTTPError.internalError.code || error is StoreError {
                mapped.message += ": \(String(describing: error))"
            }
            self.error = mapped
        }
    }

    /// The API's error body, encoded as the API encodes it (one line).
    var json: String {
        String(decoding: HTTPResponse.error(error).body, as: UTF8.self)
    }

    /// The line for people.
    var text: String { "error: \(error.message)" }
}
