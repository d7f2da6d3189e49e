import Foundation
import Testing
import TollgateCrypto
import TollgateTestSupport

@Suite struct DigestTests {
    @Test func sha256MatchesFIPSVectors() {
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.digest("abc").count == SHA256.byteCount)
    }

    @Test func hmacMatchesRFC4231TestCase2() {
        let mac = HMACSHA256.authenticationCode(for: "what do ya want for nothing?", key: "Jefe")
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    /// Stripe's signing input (`timestamp.payload`) under HMAC-SHA256, on the project's own
    /// .NET-shaped vector in `webhooks/signature-vectors.json` (checked there against the official SDK).
    @Test func hmacMatchesTheProjectsStripeSignatureVector() throws {
        let payload = try [UInt8](Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/webhooks/events/customer.updated.json")))
        let mac = HMACSHA256.authenticationCode(for: Array("1533204620.".utf8) + payload, key: Array("webhook_secret".utf8))
        #expect(Hex.encode(mac) == "02f6580d597d8ac3b0aa32d5860399aebb1144825e7d2644701d2ade5c53e07f")
    }

    /// The vector from Stripe's .NET SDK, read in place from the team's shared data beside the
    /// project (``SharedTestData``: skipped with the reason in a plain clone, required under CI).
    @Test(.sharedData("stripe/dotnet_event_test_signature.json"))
    func hmacMatchesStripeDotNetSignatureVector() throws {
        let payload = try SharedTestData.bytes("stripe/dotnet_event_test_signature.json")
        #expect(payload.count == 484)
        let signed = Array("1533204620.".utf8) + payload
        let mac = HMACSHA256.authenticationCode(for: signed, key: Array("webhook_secret".utf8))
        #expect(Hex.encode(mac) == "2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7")
    }
}

@Suite struct ComparisonAndRandomTests {
    @Test func constantTimeEqualsComparesContentAndLength() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equals([], []))
    }

    @Test func secureRandomTokensHaveTheRequestedLengthAndAlphabet() throws {
        let token = try SecureRandom.token(40)
        #expect(token.count == 40)
        #expect(token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(try SecureRandom.token(40) != token)
        #expect(try SecureRandom.bytes(32).count == 32)
        #expect(try SecureRandom.bytes(0).isEmpty)
    }

    @Test func hexRoundTripsAndRejectsBadInput() {
        let bytes: [UInt8] = [0, 1, 0xab, 0xff]
        #expect(Hex.encode(bytes) == "0001abff")
        #expect(Hex.decode("0001ABff") == bytes)
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}
