import Foundation
import Testing
import TollgateBase
import TollgateTestSupport
@testable import TollgateStripe

/// `WebhookEvent(json:)` parses a body once (Foundation's JSONSerialization) and reads the envelope
/// from the tree; the intake's `Envelope(json:)` decodes it strictly. Over random bodies — every
/// field missing, mistyped, out of range, null, fractional, huge; objects with and without ids;
/// broken JSON — the two agree on what is an event and on its envelope, and the object is what
/// the `Decodable` reading of the body gives.
@Suite struct WebhookEventParsingTests {
    /// The first choice (a good value) half the time, else any.
    static func pick(_ choices: [String], _ generator: inout SeededGenerator) -> String {
        Bool.random(using: &generator) ? choices[0] : choices.randomElement(using: &generator)!
    }

    static func randomBody(_ generator: inout SeededGenerator) -> String {
        var members: [String] = []
        func maybe(_ key: String, _ values: [String]) {
            if Int.random(in: 0..<12, using: &generator) > 0 { members.append("\"\(key)\":\(pick(values, &generator))") }
        }
        maybe("id", ["\"evt_1\"", "\"evt_2\"", "\"\"", "\"has space\"", "\"é\"", "12", "null"])
        maybe("type", ["\"customer.subscription.updated\"", "\"invoice.paid\"", "\"\"", "true", "null"])
        maybe("created", ["1765000000", "1765000000.0", "1.7e9", "0", "-5", "32503680000", "99999999999999999999", "\"1765000000\"", "1.5", "null"])
        maybe("api_version", ["\"2026-10-28.endive\"", "null", "7", "\"\""])
        maybe("livemode", ["false", "true"])
        let objectID = pick(["", "\"id\":\"sub_1\",", "\"id\":null,", "\"id\":5,", "\"id\":\"bad id\","], &generator)
        // The Stripe customer the object names: an id, an expanded customer, an account, or nothing usable (a customer object names itself).
        let customer = pick([
            "\"customer\":\"cus_1\",", "", "\"customer\":{\"id\":\"cus_2\",\"object\":\"customer\"},", "\"customer\":{\"id\":7},",
            "\"customer\":null,\"customer_account\":\"acct_1\",", "\"customer\":5,", "\"customer\":\"bad id\",",
        ], &generator)
        let object = pick([
            "{\(objectID)\(customer)\"object\":\"subscription\",\"quantity\":3,\"amount\":4900,\"ratio\":0.5,\"items\":{\"data\":[{\"price\":{\"lookup_key\":\"pro\"}}]},\"cancel_at\":null,\"paused\":false}",
            "{\(objectID)\"big\":12345678901234567890,\"whole\":2.0}", "{\(objectID)\"object\":\"customer\",\"email\":\"a@example.com\"}", "[]", "null", "\"sub_1\"",
        ], &generator)
        maybe("data", ["{\"object\":\(object)}", "{\"object\":\(object),\"previous_attributes\":{\"quantity\":2}}", "{}", "[]", "null"])
        var body = "{" + members.shuffled(using: &generator).joined(separator: ",") + "}"
        if Int.random(in: 0..<25, using: &generator) == 0 { body.removeLast() }
        return body
    }

    @Test func oneParseAgreesWithTheStrictEnvelopeAndTheDecodableObject() throws {
        var generator = SeededGenerator(seed: 1207)
        var events = 0
        for _ in 0..<6_000 {
            let body = Array(Self.randomBody(&generator).utf8)
            let strict = Result { () throws(WebhookEventError) in try WebhookEvent.Envelope(json: body) }
            let parsed = Result { () throws(WebhookEventError) in try WebhookEvent(json: body) }
            switch (strict, parsed) {
            case (.success(let envelope), .success(let event)):
                events += 1
                #expect(event.id == envelope.id && event.type == envelope.type && event.created == envelope.created, "\(String(decoding: body, as: UTF8.self))")
                #expect(event.apiVersion == envelope.apiVersion && event.objectID == envelope.objectID)
                #expect(StripeObject.parse(body).flatMap(WebhookEvent.Envelope.init) == envelope, "\(String(decoding: body, as: UTF8.self))")
                let decoded = try JSONDecoder().decode(StripeObject.self, from: Data(body))
                #expect(event.object == decoded["data"]?["object"], "\(String(decoding: body, as: UTF8.self))")
            case (.failure(let expected), .failure(let error)):
                #expect(error == expected)
            default:
                Issue.record("strict \(strict) against one parse \(parsed) for \(String(decoding: body, as: UTF8.self))")
            }
        }
        #expect(events > 300)
    }
}
