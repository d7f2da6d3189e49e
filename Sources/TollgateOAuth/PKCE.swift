package import TollgateCrypto

/// Proof Key for Code Exchange with the S256 method (RFC 7636). Tollgate uses it on every
/// authorization request, whatever the provider (RFC 9700 §2.1.1).
package struct PKCE: Sendable, Equatable {
    /// The code verifier (RFC 7636 §4.1): 43–128 characters of `[A-Za-z0-9-._~]`; kept secret
    /// until the token request.
    package let verifier: OAuthSecret
    /// `BASE64URL(SHA256(ASCII(verifier)))` (§4.2), sent in the authorization request.
    package let challenge: String
    /// Always `S256`: `plain` is never used.
    package static let method = "S256"

    /// A fresh verifier of `length` characters (default 64) from the secure random generator.
    /// `[A-Za-z0-9]` carries log2(62) ≈ 5.95 bits a character: 64 characters ≈ 381 bits, well above
    /// the 256 bits §7.1 asks for.
    package static func generate(length: Int = 64) throws(CryptoError) -> PKCE {
        let length = min(max(length, 43), 128)
        let verifier = try SecureRandom.token(length)
        return PKCE(verifier: OAuthSecret(verifier), challenge: challenge(for: verifier))
    }

    /// Rebuilds the pair from a stored verifier.
    package init(verifier: OAuthSecret) {
        self.init(verifier: verifier, challenge: Self.challenge(for: verifier.value))
    }

    private init(verifier: OAuthSecret, challenge: String) {
        self.verifier = verifier
        self.challenge = challenge
    }

    /// The S256 challenge of `verifier` (RFC 7636 §4.2).
    package static func challenge(for verifier: String) -> String {
        Base64.encodeURLSafeNoPadding(SHA256.digest(Array(verifier.utf8)))
    }
}
