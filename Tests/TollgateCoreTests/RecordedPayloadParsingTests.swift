import Foundation
import Testing
import TollgateBase
import TollgateStripe
import TollgateTestSupport

/// `WebhookEvent(json:)` (one Foundation parse, the envelope read from the tree) gives, for every
/// recorded payload, what the strict envelope and the `Decodable` reading of the whole body give.
@Suite struct RecordedPayloadParsingTests {
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

    @Test func everyRecordedPayloadParsesAsTheStrictReadingDoes() throws {
        let payloads = try Self.payloads()
        #expect(payloads.count > 20)
        for (name, text) in payloads {
            let bytes = Array(text.utf8)
            let envelope = try WebhookEvent.Envelope(json: bytes)
            let event = try WebhookEvent(json: bytes)
            #expect(event.id == envelope.id && event.type == envelope.type && event.created == envelope.created, "\(name)")
            #expect(event.apiVersion == envelope.apiVersion && event.objectID == envelope.objectID, "\(name)")
            let decoded = try JSONDecoder().decode(StripeObject.self, from: Data(bytes))
            #expect(event.object == decoded["data"]?["object"], "\(name)")
        }
    }
}
