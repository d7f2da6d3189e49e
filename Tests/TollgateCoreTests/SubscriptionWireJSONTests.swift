import Foundation
import Testing
import Tollgate
import TollgateStore
import TollgateTestSupport
import TollgateWire
@testable import TollgateEntitlements

/// The subscriptions in event data are written directly (`Subscription.wireJSON`); they must be the
/// bytes `WireJSON` encodes, for any value: random ones, with every optional present or absent and
/// text that needs escaping.
@Suite struct SubscriptionWireJSONTests {
    static func randomText(_ generator: inout SeededGenerator) -> String {
        let alphabet: [String] = ["a", "Z", "_", "-", "\"", "\\", "/", "\n", "\u{01}", "é", "💳", " ", "0"]
        return (0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }.joined()
    }

    static func randomInstant(_ generator: inout SeededGenerator) -> Date? {
        Bool.random(using: &generator) ? nil : Date(timeIntervalSince1970: Double.random(in: 0...4_102_444_800, using: &generator))
    }

    @Test func directWriterMatchesTheEncoderByteForByte() throws {
        var generator = SeededGenerator(seed: 21)
        for _ in 0..<2000 {
            let state = SubscriptionState(
                planKey: Self.randomText(&generator), status: SubscriptionStatus.allCases.randomElement(using: &generator)!,
                quantity: Int.random(in: 1...1_000_000, using: &generator), currentPeriodStart: Self.randomInstant(&generator),
                currentPeriodEnd: Self.randomInstant(&generator), cancelAtPeriodEnd: Bool.random(using: &generator),
                trialEnd: Self.randomInstant(&generator), pastDueSince: Self.randomInstant(&generator))
            let subscription = Subscription(
                id: "sub_" + Self.randomText(&generator), customer: Self.randomText(&generator), state: state,
                stripeSubscriptionID: Bool.random(using: &generator) ? nil : Self.randomText(&generator),
                createdAt: Self.randomInstant(&generator) ?? Date(), updatedAt: Self.randomInstant(&generator) ?? Date())
            #expect(subscription.wireJSON == String(decoding: try WireJSON.encoder().encode(subscription), as: UTF8.self))
            #expect(state.wireJSON == String(decoding: try WireJSON.encoder().encode(state), as: UTF8.self))
        }
    }
}
