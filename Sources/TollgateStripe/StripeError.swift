package import TollgateHTTPClient
import TollgateBase

/// A failed Stripe API call.
///
/// For an error Stripe answered, the fields come from its error object
/// (<https://docs.stripe.com/api/errors>): ``type``, ``code``, ``message``, ``param``,
/// ``declineCode``, with the HTTP ``status`` and the `Request-Id` header as ``requestID``.
/// The ``description`` is safe to log: it never holds the API key (a message that quotes it is
/// redacted), nor request headers or parameters.
package struct StripeError: Error, Sendable, CustomStringConvertible {
    /// Where the failure came from, as an open set.
    package struct Kind: Hashable, Sendable, CustomStringConvertible {
        package let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// Stripe answered with an error status (4xx, 5xx).
        package static let api = Kind("api")
        /// No HTTP answer: see ``StripeError/transport`` (could not connect, timed out, TLS, …).
        package static let connection = Kind("connection")
        /// A 2xx whose body is not the JSON expected.
        package static let invalidResponse = Kind("invalid_response")
        /// A list went on past ``StripeConfiguration/maxListPages``, or served an object twice.
        package static let pagination = Kind("pagination")

        package var description: String { rawValue }
    }

    package var kind: Kind
    /// The HTTP status, for ``Kind/api``.
    package var status: Int?
    /// Stripe's error type: `api_error`, `card_error`, `idempotency_error`, `invalid_request_error`, …
    package var type: String?
    /// Stripe's error code, e.g. `resource_missing`, `lock_timeout`, `rate_limit`.
    package var code: String?
    package var message: String
    /// The parameter the error is about.
    package var param: String?
    /// For card errors, the issuer's reason.
    package var declineCode: String?
    /// Stripe's `Request-Id` of the last attempt, for Stripe's support and dashboard logs.
    package var requestID: String?
    /// The `Idempotency-Key` every attempt carried, if any.
    package var idempotencyKey: String?
    /// How many HTTP attempts were made (1 + retries).
    package var attempts: Int
    /// The transport failure, for ``Kind/connection``.
    package var transport: HTTPClientError?

    package init(
        kind: Kind, status: Int? = nil, type: String? = nil, code: String? = nil, message: String, param: String? = nil,
        declineCode: String? = nil, requestID: String? = nil, idempotencyKey: String? = nil, attempts: Int = 1,
        transport: HTTPClientError? = nil
    ) {
        self.kind = kind
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        self.declineCode = declineCode
        self.requestID = requestID
        self.idempotencyKey = idempotencyKey
        self.attempts = attempts
        self.transport = transport
    }

    /// The error for a non-2xx answer: Stripe's error object when the body has one.
    static func fromResponse(status: Int, body: [UInt8], requestID: String?) -> StripeError {
        let error = StripeObject.parse(body)?["error"]
        let message = error?["message"]?.string ?? "Stripe answered HTTP \(status) without an error object"
        return StripeError(
            kind: .api, status: status, type: error?["type"]?.string, code: error?["code"]?.string, message: message,
            param: error?["param"]?.string, declineCode: error?["decline_code"]?.string, requestID: requestID)
    }

    /// `true` for a 404 (Stripe's `resource_missing`, or a peer that only sends the status).
    package var isNotFound: Bool { status == 404 || code == "resource_missing" }

    package var description: String {
        var parts = ["stripe \(kind)"]
        if let status { parts.append("status=\(status)") }
        if let type { parts.append("type=\(type)") }
        if let code { parts.append("code=\(code)") }
        if let param { parts.append("param=\(param)") }
        if let declineCode { parts.append("decline_code=\(declineCode)") }
        if let requestID { parts.append("request_id=\(requestID)") }
        if attempts > 1 { parts.append("attempts=\(attempts)") }
        var text = parts.joined(separator: " ") + ": " + message
        if let transport { text += " (\(transport))" }
        return text
    }

    /// A copy with `secret` replaced wherever it appears in the message.
    func redacting(_ secret: String) -> StripeError {
        guard !secret.isEmpty else { return self }
        var copy = self
        copy.message = message.replacing(secret, with: StripeAPIKey.redacted)
        if var transport = copy.transport {
            transport.message = transport.message.replacing(secret, with: StripeAPIKey.redacted)
            copy.transport = transport
        }
        return copy
    }
}
