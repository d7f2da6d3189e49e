import Testing
import TollgateOAuth

@Suite struct PKCETests {
    /// RFC 7636 appendix B: the verifier and challenge of the worked example.
    @Test func rfc7636AppendixBVector() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        #expect(PKCE.challenge(for: verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        #expect(PKCE(verifier: OAuthSecret(verifier)).challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }

    @Test func generatedVerifiersAreValidDistinctAndMatchTheirChallenge() throws {
        let first = try PKCE.generate()
        let second = try PKCE.generate()
        #expect(first.verifier.value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(first.verifier.value.count == 64)
        #expect(first.verifier != second.verifier)
        #expect(first.challenge == PKCE.challenge(for: first.verifier.value))
        #expect(!first.challenge.contains("=") && !first.challenge.contains("+") && !first.challenge.contains("/"))
        #expect(try PKCE.generate(length: 10).verifier.value.count == 43)
        #expect(try PKCE.generate(length: 500).verifier.value.count == 128)
    }

    @Test func secretsNeverPrintThemselves() {
        let secret = OAuthSecret("hunter2-refresh-token")
        #expect("\(secret)" == "****")
        #expect(String(reflecting: secret) == "OAuthSecret(****)")
        #expect(!"\([secret])".contains("hunter2"))
    }
}
