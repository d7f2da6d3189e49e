import Foundation

/// What every front-end tells its caller about a failure: the API's error body and status, the
/// CLI's `--json` error and its message come from this one value.
///
/// Each error type that can reach a caller declares its failure once, where the type is declared
/// (``FailureConvertible``): `DomainError`, `BillingError`, `IntegrationError`, `StripeError`,
/// `StoreError`, …. The API turns ``kind`` into a status (a `switch`, in `APIErrors`); the CLI
/// prints the same ``code``, ``message`` and ``details`` and exits 1.
package struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of failure; the API's status follows from it.
    package enum Kind: String, Sendable, CaseIterable {
        /// The request is wrong: a value, a parameter, a file (400).
        case invalid
        /// The caller may not do this: an entitlement denied it (403).
        case forbidden
        /// What the request names does not exist (404).
        case notFound
        /// The current state does not allow it (409).
        case conflict
        /// Something Tollgate needs is missing or down: configuration, the store, a provider;
        /// a retry may succeed (503).
        case unavailable
        /// A provider (Stripe, an OAuth provider) failed or refused Tollgate itself (502).
        case upstream
        /// A fault of Tollgate's own; the caller is told only "internal error" (500).
        case `internal`
    }

    /// One thing wrong, named by field where there is one.
    package struct Detail: Sendable, Equatable, Codable {
        package var field: String?
        package var issue: String

        package init(field: String? = nil, issue: String) {
            self.field = field
            self.issue = issue
        }
    }

    package var kind: Kind
    /// The API's error code (`unknown_customer`, `not_found`, `stripe_error`, …): stable, for programs.
    package var code: String
    /// For the caller: names what is wrong, never a secret, SQL or a token.
    package var message: String
    package var details: [Detail]
    /// Why, for the operator rather than the caller, when ``message`` keeps it back (a 500, a
    /// store failure): an error's description, safe to log. The API writes it to its log with the
    /// request id; the CLI, whose user is the operator, prints it after the message.
    package var cause: String?
    /// When a retry may succeed, in seconds (the API's `Retry-After`).
    package var retryAfter: Int?

    package init(_ kind: Kind, code: String, message: String, details: [Detail] = [], cause: String? = nil, retryAfter: Int? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.details = details
        self.cause = cause
        self.retryAfter = retryAfter
    }

    package var description: String { "\(code): \(message)" }

    /// The failure of anything thrown: its own when it declares one, else an internal error whose
    /// cause is the error's description.
    package init(_ error: any Error) {
        if let error = error as? any FailureConvertible {
            self = error.failure
        } else {
            self = .internal(cause: String(describing: error))
        }
    }

    /// A fault of Tollgate's own: the caller reads "internal error", the operator the cause.
    package static func `internal`(cause: String) -> Failure {
        Failure(.internal, code: "internal_error", message: "internal error", cause: cause)
    }
}

/// An error that says what to tell the caller; see ``Failure``.
package protocol FailureConvertible: Error {
    var failure: Failure { get }
}

extension Failure: FailureConvertible {
    package var failure: Failure { self }
}

/// The error body of the API and of the CLI's `--json` errors:
/// `{"error": {"code": "…", "message": "…", "details": [{"field": "…", "issue": "…"}]}}`.
package struct ErrorBody: Encodable, Sendable {
    package struct Content: Encodable, Sendable {
        package var code: String
        package var message: String
        package var details: [Failure.Detail]
    }

    package var error: Content

    package init(code: String, message: String, details: [Failure.Detail]) {
        error = Content(code: code, message: message, details: details)
    }

    /// The body, one line; a body that cannot be encoded (it always can) is a bare internal error.
    package var json: [UInt8] {
        (try? WireJSON.encoder().encode(self)).map(Array.init)
            ?? Array(#"{"error":{"code":"internal_error","details":[],"message":"internal error"}}"#.utf8)
    }
}
