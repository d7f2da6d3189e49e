import Foundation
import Testing
import Tollgate
import TollgateEntitlements
import TollgateWire
@testable import TollgateAPI

/// The usage endpoints' direct writers produce exactly what the wire's encoder makes.
@Suite struct UsageJSONTests {
    static let resets = Date(timeIntervalSince1970: 1_827_705_600)  // 2027-12-01T00:00:00Z

    @Test(arguments: [
        UsageOutcome(allowed: true, reason: nil, duplicate: false, feature: "api.requests", quantity: 3, used: 10, remaining: 990, resetsAt: resets),
        UsageOutcome(allowed: true, reason: nil, duplicate: true, feature: "api.requests", quantity: 1, used: 10, remaining: nil, resetsAt: nil),
        UsageOutcome(
            allowed: false, reason: .insufficientCredits, duplicate: false, feature: "ai.generation", quantity: 2, used: 7, remaining: nil,
            resetsAt: nil, credits: FeatureCreditUse(pool: "ai_credits\u{1}", cost: 5, balance: -3, available: 7)),
        UsageOutcome(allowed: false, reason: .limitExceeded, duplicate: false, feature: "exports.daily", quantity: 2, used: 5, remaining: 0,
                     resetsAt: resets.addingTimeInterval(0.75)),
        UsageOutcome(allowed: false, reason: DenialReason(rawValue: "quote\"and\\slash"), duplicate: false, feature: "x", quantity: 1, used: 0,
                     remaining: nil, resetsAt: nil),
    ])
    func outcomeWriterMatchesTheEncoderByteForByte(outcome: UsageOutcome) throws {
        let expected = String(decoding: try WireJSON.encoder().encode(outcome), as: UTF8.self)
        #expect(UsageJSON.encode(outcome) == expected)
    }

    @Test func batchWriterMatchesTheEncoderByteForByte() throws {
        let response = UsageBatchResponse(results: [
            .init(status: .counted, used: 7, remaining: 993),
            .init(status: .duplicate, used: 7),
            .init(status: .refused, reason: "unknown_customer", message: "no customer with external id \"ghost\"\n"),
            .init(status: .counted, used: 8, remaining: nil),
        ])
        let expected = String(decoding: try WireJSON.encoder().encode(response), as: UTF8.self)
        #expect(UsageJSON.encode(response) == expected)
        let empty = UsageBatchResponse(results: [])
        #expect(UsageJSON.encode(empty) == String(decoding: try WireJSON.encoder().encode(empty), as: UTF8.self))
    }
}
