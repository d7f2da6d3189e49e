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

    /// The batch body: random events (each as above, some repeated keys inside an event, some not
    /// objects), random wrappers (another member beside `events`, `events` twice, a bare array).
    @Test func randomBatchBodiesReadDirectlyDecodeToTheSameBatch() {
        var random = SeededGenerator(seed: 1_000)
        let values = [#""org_1""#, #""api.requests""#, #""Bad Key""#, #""q\"x""#, #""é""#, #""a\u0000""#, "1", "0", "-2", "2.0", "1.5", "true", "null", "[]", "{}"]
        var direct = 0
        for _ in 0..<3_000 {
            let events = (0..<Int.random(in: 0...4, using: &random)).map { _ -> String in
                if Int.random(in: 0..<25, using: &random) == 0 { return values.randomElement(using: &random)! }
                var members = [#""customer":"org_\#(Int.random(in: 1...3, using: &random))""#, #""feature":"api.requests""#]
                for name in ["quantity", "idempotency_key", "customer", "feature", "colour"] where Int.random(in: 0..<4, using: &random) == 0 {
                    members.append("\"\(name)\":\(values.randomElement(using: &random)!)")
                }
                return "{" + members.shuffled(using: &random).joined(separator: ",") + "}"
            }
            let list = "[" + events.joined(separator: ",") + "]"
            let body: String
            switch Int.random(in: 0..<12, using: &random) {
            case 0: body = #"{"events":\#(list),"extra":1}"#
            case 1: body = #"{"events":\#(list),"events":[]}"#
            case 2: body = list
            default: body = #"{"events":\#(list)}"#
            }
            let request = HTTPRequest(method: .POST, path: "/v1/usage/batch", headers: ["Content-Type": "application/json"], body: Array(body.utf8))
            guard let fast = UsageRequestJSON.fastBatch(request) else { continue }
            direct += 1
            let strict = try? request.decodeJSON(UsageBatchRequest.self)
            #expect(strict == fast, "\(body)")
        }
        #expect(direct > 300, "the direct path is exercised: \(direct)")
    }
}
