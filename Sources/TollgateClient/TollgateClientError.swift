/// Why the client could not get a current snapshot from the service.
///
/// ``description`` is safe to log: it never contains the API key or response bodies.
public struct TollgateClientError: Error, Sendable, Hashable {
    /// What went wrong: an open set, so new codes may be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case unreachable, timedOut, serverError, unexpectedStatus, invalidResponse
            case unauthorized, forbidden, unknownCustomer
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The connection failed (refused, reset, DNS, TLS).
        public static let unreachable = Code(.unreachable)
        /// No answer within ``TollgateClientConfiguration/requestTimeout``.
        public static let timedOut = Code(.timedOut)
        /// The service answered 5xx.
        public static let serverError = Code(.serverError)
        /// The service answered a status the client does not expect (such as 429).
        public static let unexpectedStatus = Code(.unexpectedStatus)
        /// The response was not a snapshot the client can read.
        public static let invalidResponse = Code(.invalidResponse)
        /// 401: the API key is missing, unknown or revoked.
        public static let unauthorized = Code(.unauthorized)
        /// 403: the API key lacks the `read` scope.
        public static let forbidden = Code(.forbidden)
        /// 404 `unknown_customer`: the service does not know the customer.
        public static let unknownCustomer = Code(.unknownCustomer)

        /// The code's name, such as `timedOut`.
        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// The HTTP status, when the service answered.
    public var status: Int?
    /// A short explanation, safe to log.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, status: Int? = nil, _ message: String) {
        self.code = code
        self.status = status
        self.message = message
    }

    /// Whether the service refused the key (401 or 403): a configuration problem, not an outage.
    public var isAuthorizationFailure: Bool { code == .unauthorized || code == .forbidden }
}

extension TollgateClientError: CustomStringConvertible {
    /// The code, the status if any, and the message.
    public var description: String {
        let status = status.map { " (HTTP \($0))" } ?? ""
        return "\(code)\(status): \(message)"
    }
}
