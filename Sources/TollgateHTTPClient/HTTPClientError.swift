/// Why an ``HTTPClient`` request got no HTTP response.
///
/// An HTTP error status is not an `HTTPClientError`: any status the server answers comes back as a
/// ``HTTPClient/Response``. The ``description`` is safe to log: it holds libcurl's error text
/// (which names the host, never the request's headers or body) and the curl error number.
package struct HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as an open set: new codes may be added.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The host name did not resolve, or the TCP connection was refused or unreachable.
        package static let couldNotConnect = Code("could_not_connect")
        /// The connect timeout or the total timeout of the request passed.
        package static let timedOut = Code("timed_out")
        /// The TLS handshake or the peer's certificate failed.
        package static let tls = Code("tls")
        /// The connection broke while sending or receiving, or the server closed it without an answer.
        package static let connectionLost = Code("connection_lost")
        /// The response body was larger than ``HTTPClient/Configuration/maxResponseBytes``.
        package static let responseTooLarge = Code("response_too_large")
        /// The request cannot be sent as given (malformed URL, unsupported scheme, a header with a
        /// line break).
        package static let invalidRequest = Code("invalid_request")
        /// Anything else libcurl reported.
        package static let other = Code("other")

        package var description: String { rawValue }
    }

    package var code: Code
    /// libcurl's error text (its error buffer, or `curl_easy_strerror`), or this module's own.
    package var message: String
    /// The `CURLcode`, when libcurl reported the failure.
    package var curlCode: Int?

    package init(code: Code, message: String, curlCode: Int? = nil) {
        self.code = code
        self.message = message
        self.curlCode = curlCode
    }

    /// `true` for failures where sending the same request again may work: could not connect,
    /// timed out, connection lost. TLS and request errors are not transient.
    package var isTransient: Bool {
        code == .couldNotConnect || code == .timedOut || code == .connectionLost
    }

    package var description: String {
        var text = "\(code): \(message)"
        if let curlCode { text += " (curl error \(curlCode))" }
        return text
    }
}
