import Foundation
import Testing
@testable import Tollgate
import TollgateWire

@Suite struct FeatureKeyTests {
    @Test(arguments: ["seats", "api.requests", "integrations.github", "a", "x_1.y_2.z3", "0", String(repeating: "a", count: 100)])
    func acceptsLowercaseDottedKeys(_ key: String) {
        #expect(FeatureKey.isValid(key))
        #expect(FeatureKey(validating: key)?.rawValue == key)
        #expect(FeatureKey(rawValue: key)?.rawValue == key)
    }

    @Test(arguments: ["", "Seats", "api..requests", ".seats", "seats.", "api-requests", "api requests", "séats", "seats/", String(repeating: "a", count: 101)])
    func rejectsMalformedKeys(_ key: String) {
        #expect(!FeatureKey.isValid(key))
        #expect(FeatureKey(validating: key) == nil)
        #expect(FeatureKey(rawValue: key) == nil)
    }

    @Test func encodesAsPlainString() throws {
        let key: FeatureKey = "api.requests"
        #expect(try WireJSON.string(key) == "\"api.requests\"")
        #expect(try WireJSON.decode(FeatureKey.self, "\"api.requests\"") == key)
    }

    @Test func decodingRejectsInvalidKey() {
        #expect(throws: DecodingError.self) { try WireJSON.decode(FeatureKey.self, "\"API.Requests\"") }
    }

    @Test func equalKeysHashAndCompareAlike() {
        let literal: FeatureKey = "integrations.github"
        let parsed = FeatureKey(validating: "integrations.github")
        #expect(parsed == literal)
        #expect(parsed?.hashValue == literal.hashValue)
        #expect(Set([literal, "integrations.github", "seats"]).count == 2)
        #expect(FeatureKey("api.requests") < FeatureKey("seats"))
        #expect(literal.description == "integrations.github")
    }
}
