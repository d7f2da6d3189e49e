import Foundation
import Testing
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
}
