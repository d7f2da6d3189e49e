import Foundation
import Testing
@testable import TollgateBilling
import TollgateStripe
import TollgateTestSupport

/// The applier's payload parser gives what `WebhookEvent(json:)` gives, or nil (and the applier
/// falls back to it).
@Suite struct StripePayloadParserTests {
    static func payloads() throws -> [(name: String, text: String)] {
        let root = TestDatabase.repositoryRoot
        var files: [String] = []
        for directory in ["/webhooks/events", "/Tests/TollgateCoreTests/Fixtures/stripe-shapes"] {
            let enumerator = FileManager.default.enumerator(atPath: root + directory)
            while let path = enumerator?.nextObject() as? String {
                if path.hasSuffix(".json") { files.append(root + directory + "/" + path) }
            }
        }
        return try files.sorted().map { ($0, try String(contentsOfFile: $0, encoding: .utf8)) }
    }

    @Test func everyRecordedPayloadParsesAsWebhookEventDoes() throws {
        let payloads = try Self.payloads()
        #expect(payloads.count > 20)
        for (name, text) in payloads {
            guard let expected = try? WebhookEvent(json: Array(text.utf8)) else { continue }
            let parsed = StripePayloadParser.event(text)
            // Payloads with fractions take the fallback; every other one parses the same.
            if parsed == nil { #expect(text.contains("."), "\(name)") }
            if let parsed { #expect(parsed == expected, "\(name)") }
        }
    }

    @Test func escapesUnicodeAndEdgeNumbersMatchOrFallBack() throws {
        let strings = [#""plain""#, #""tab\tquote\" slash\/ back\\ nl\n""#, #""\u00e9\u4e2d\ud83d\ude00""#, #""é 中 😀""#, #""\u0000""#]
        let numbers = ["0", "-1", "9223372036854775807", "-9223372036854775808", "1767226200"]
        for value in strings + numbers + ["true", "false", "null", "[]", "{}", #"[1, {"a": [null]}]"#] {
            let text = #"{"id": "evt_1", "type": "t.x", "created": 1767226200, "api_version": "2025-03-31.basil", "data": {"object": {"id": "obj_1", "v": \#(value)}}}"#
            let expected = try WebhookEvent(json: Array(text.utf8))
            #expect(StripePayloadParser.event(text) == expected, "\(value)")
        }
        // Where the two might differ, or the text is not JSON: nil.
        for value in ["1.5", "1e3", "1.0", "9223372036854775808", #""\ud83d""#, "01", "tru", #""a"#, #"{"a": 1, "a": 2}"#, "\"\u{1}\""] {
            let text = #"{"id": "evt_1", "type": "t.x", "created": 1767226200, "data": {"object": {"v": \#(value)}}}"#
            #expect(StripePayloadParser.event(text) == nil, "\(value)")
        }
        #expect(StripePayloadParser.event(#"{"id": "evt_1", "type": "t.x", "created": 1, "data": {"object": {"id": 7}}}"#) == nil)
        #expect(StripePayloadParser.event(#"{"id": "evt_1", "type": "t.x", "data": {"object": {}}}"#) == nil)
        #expect(StripePayloadParser.event(#"{"id": "evt_1", "type": "t.x", "created": 1, "data": {"object": {}}} x"#) == nil)
    }
}
