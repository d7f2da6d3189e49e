/// A secret string (client secret, access or refresh token, authorization code, PKCE verifier)
/// that never prints itself: `description` and `debugDescription` are `****`, so a secret that
/// ends up in string interpolation, a log line or an error message shows nothing.
///
/// Read the value only where it is sent or sealed: ``value``.
public struct OAuthSecret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself.
    public let value: String

    public init(_ value: String) {
        self.value = value
    }

    public var description: String { "****" }
    public var debugDescription: String { "OAuthSecret(****)" }
}
