/// A secret string (client secret, access or refresh token, authorization code, PKCE verifier)
/// that never prints itself: `description` and `debugDescription` are `****`, so a secret that
/// ends up in string interpolation, a log line or an error message shows nothing.
///
/// Read the value only where it is sent or sealed: ``value``.
package struct OAuthSecret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself.
    package let value: String

    package init(_ value: String) {
        self.value = value
    }

    package var description: String { "****" }
    package var debugDescription: String { "OAuthSecret(****)" }
}
