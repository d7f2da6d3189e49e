import Foundation
import Testing
import Tollgate
import TollgateEntitlements
import TollgateHTTPServer
import TollgateTestSupport
@testable import TollgateAPI

/// The usage body's direct reader agrees with the strict decoder: whatever it accepts, the decoder
/// decodes to the same request; whatever it passes over goes to the decoder unchanged.
@Suite struct UsageRequestJSONTests {
    static func decoded(_ body: String) -> Result<UsageRequest, HTTPError> {
        let request = HTTPRequest(method: .POST, path: "/v1/usage", headers: ["Content-Type": "application/json"], body: Array(body.utf8))
        do {
            return .success(try request.decodeJSON(UsageRequest.self))
        } catch {
            return .failure(error)
        }
    }

    @Test func randomBodiesReadDirectlyDecodeToTheSameRequest() {
        var random = SeededGenerator(seed: 14)
        let strings = ["org_1", "", "a b", "ünïcode", "tab\there", "quote\\\"d", "back\\\\slash", "x\\u0041", "api.requests", "Bad Key", "exports.daily"]
        let numbers = ["1", "0", "-3", "42", "007", "1.5", "1e3", "9223372036854775807", "9223372036854775808", "null", "\"3\"", "true"]
        let spaces = ["", " ", "\n", "\t ", "\r\n"]
        var direct = 0
        for _ in 0..<3_000 {
            var fields: [String] = []
            for name in ["customer", "feature", "quantity", "idempotency_key", "colour"].shuffled(using: &random)
            where Int.random(in: 0..<(name == "colour" ? 20 : 5), using: &random) > (name == "colour" ? 18 : 0) {
                let text = name == "feature" ? ["api.requests", "exports.daily", "Bad Key", "x\\u0041"].randomElement(using: &random)! : strings.randomElement(using: &random)!
                let value = name == "quantity" ? numbers.randomElement(using: &random)! : "\"" + text + "\""
                let space = spaces.randomElement(using: &random)!
                fields.append("\(space)\"\(name)\"\(space):\(space)\(value)\(space)")
                if Int.random(in: 0..<20, using: &random) == 0 { fields.append("\"\(name)\":\(value)") }  // repeated
            }
            var body = "{" + fields.joined(separator: ",") + "}"
            if Int.random(in: 0..<30, using: &random) == 0 { body += "x" }
            if Int.random(in: 0..<30, using: &random) == 0 { body = String(body.dropLast()) }
            let request = HTTPRequest(method: .POST, path: "/v1/usage", headers: ["Content-Type": "application/json"], body: Array(body.utf8))
            guard let fast = UsageRequestJSON.fast(request) else { continue }
            direct += 1
            switch Self.decoded(body) {
            case .success(let slow): #expect(slow == fast, "\(body)")
            case .failure(let error): Issue.record("read directly, refused by the decoder: \(body): \(error)")
            }
        }
        #expect(direct > 100, "the direct path is exercised: \(direct)")
    }

    @Test func whatItPassesOverIsDecidedByTheDecoder() throws {
        for body in [#"{"customer":"org_1"}"#, #"{"customer":"org_1","feature":"Bad Key"}"#, #"{"customer":"a\u0000","feature":"x"}"#,
                     #"{"customer":"org_1","feature":"x","colour":1}"#, "", "[]"] {
            let request = HTTPRequest(method: .POST, path: "/v1/usage", headers: ["Content-Type": "application/json"], body: Array(body.utf8))
            #expect(UsageRequestJSON.fast(request) == nil, "\(body)")
            #expect(throws: HTTPError.self) { try UsageRequestJSON.decode(request) }
        }
        let text = HTTPRequest(method: .POST, path: "/v1/usage", headers: ["Content-Type": "text/plain"], body: Array(#"{"customer":"a","feature":"x"}"#.utf8))
        #expect(throws: HTTPError.self) { try UsageRequestJSON.decode(text) }
    }
}
