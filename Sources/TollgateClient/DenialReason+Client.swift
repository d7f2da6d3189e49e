public import Tollgate

extension DenialReason {
    /// A fail-closed fallback: the service could not be reached (or answered with an error) and
    /// no usable snapshot was cached.
    public static let serviceUnavailable = DenialReason(rawValue: "service_unavailable")
    /// A fail-closed fallback: the service refused the client's API key (401 or 403).
    public static let clientNotAuthorized = DenialReason(rawValue: "client_not_authorized")
}
