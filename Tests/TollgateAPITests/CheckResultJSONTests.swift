import Foundation
import Testing
import TollgateTestSupport
import Tollgate
import TollgateHTTPServer
import TollgateWire
import TollgateBase
@testable import TollgateAPI

@Suite struct CheckResultJSONTests {
    static let resets = Date(timeIntervalSince1970: 1_827_705_600)  // 2027-12-01T00:00:00Z

    @Test(arguments: [
        CheckResult(allowed: true, reason: nil, feature: "seats", value: .limit(10), used: nil, remaining: 10, resetsAt: nil),
        CheckResult(allowed: false, reason: .limitExceeded, feature: "api.requests", value: .limit(1000), used: 1000, remaining: 0, resetsAt: resets),
        CheckResult(allowed: true, reason: nil, feature: "sso", value: .enabled, used: nil, remaining: nil, resetsAt: nil),
        CheckResult(allowed: true, reason: nil, feature: "projects", value: .unlimited, used: 7, remaining: nil, resetsAt: resets.addingTimeInterval(0.75)),
        CheckResult(allowed: false, reason: .insufficientCredits, feature: "ai.generation", value: .unlimited, used: 3, remaining: nil, resetsAt: resets),
        CheckResult(allowed: false, reason: .noActiveSubscription, feature: "integrations.github", value: nil, used: nil, remaining: nil, resetsAt: nil),
        CheckResult(allowed: false, reason: DenialReason(rawValue: "quote\"and\\slash"), feature: "x", value: nil, used: nil, remaining: nil, resetsAt: nil),
    ])
    func directWriterMatchesTheEncoderByteForByte(result: CheckResult) throws {
        let expected = try WireJSON.encoder().encode(result)
        #expect(String(decoding: CheckResultJSON.encode(result), as: UTF8.self) == String(decoding: expected, as: UTF8.self))
    }

    /// With a credit-priced feature's `credits` member: the encoder's object with that member added.
    @Test func creditsMemberIsTheEncodersToo() throws {
        let result = CheckResult(allowed: true, reason: nil, feature: "ai.generation", value: .unlimited, used: 3, remaining: nil, resetsAt: Self.resets)
        let credits = FeatureCreditUse(pool: "ai_\"credits", cost: 5, balance: -20, available: 4)
        guard case .object(var members)? = JSONValue.parse(Array(try WireJSON.encoder().encode(result))),
              let use = JSONValue.parse(Array(try WireJSON.encoder().encode(credits)))
        else { Issue.record("not JSON"); return }
        members["credits"] = use
        let expected = String(decoding: try WireJSON.encoder(keys: .verbatim).encode(JSONValue.object(members)), as: UTF8.self)
        #expect(String(decoding: CheckResultJSON.encode(result, credits: credits), as: UTF8.self) == expected)
    }

    @Test(arguments: [
        ("Bearer tg_abc", "tg_abc"), ("bearer tg_abc", "tg_abc"), ("BEARER   tg_abc  ", "tg_abc"),
        ("Basic dXNlcg==", nil), ("Bearer", nil), ("Bearer ", nil), ("Bearertg_abc", nil), ("Bearer a b", nil),
    ] as [(String, String?)])
    func bearerTokenParsing(header: String, token: String?) {
        #expect(Authentication.bearerToken(header) == token)
    }

    /// The byte-level reading against the plain one over random headers made of the scheme's
    /// letters in both cases, spaces, token characters and non-ASCII.
    @Test func bearerTokenAgreesWithThePlainReadingOverRandomHeaders() {
        func reference(_ header: String) -> String? {
            let bytes = Array(header.utf8)
            guard bytes.count > 7, String(decoding: bytes[0..<6], as: UTF8.self).lowercased() == "bearer",
                  bytes[0..<6].allSatisfy({ $0 < 128 }), bytes[6] == 32 else { return nil }
            let words = bytes[7...].split(separator: 32)
            return words.count == 1 ? String(decoding: words[0], as: UTF8.self) : nil
        }
        var generator = SeededGenerator(seed: 71)
        let alphabet = Array("bBeEaArR tg_x1é".unicodeScalars)
        var accepted = 0
        for round in 0..<20_000 {
            var scalars = Array((round % 3 == 0 ? "Bearer tg_x1" : "").unicodeScalars)
            scalars += (0..<Int.random(in: 0..<14, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            if round % 5 == 0 { scalars.shuffle(using: &generator) }
            var text = String.UnicodeScalarView()
            text.append(contentsOf: scalars)
            let header = String(text)
            let token = Authentication.bearerToken(header)
            #expect(token == reference(header), "\(header)")
            if token != nil { accepted += 1 }
        }
        #expect(accepted >= 1_000)
    }
}
