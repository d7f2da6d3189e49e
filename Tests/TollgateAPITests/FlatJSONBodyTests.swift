import Foundation
import Testing
import TollgateHTTPServer
import TollgateTestSupport
@testable import TollgateAPI

/// The rate-limit decision reads the common body directly (`HTTPRequest.flatJSON`) and leaves
/// every other body to the strict decoder. Over random bodies — unknown, repeated and missing
/// keys, every JSON type, escapes, U+0000, huge and fractional numbers, nesting, broken JSON — what
/// the direct reading accepts, the strict decoder accepts with the same values.
@Suite struct FlatJSONBodyTests {
    static func randomValue(_ generator: inout SeededGenerator) -> String {
        let choices = [
            "\"bench-customer\"", "\"api\"", "\"a\\\"b\"", "\"\\u00e9t\\u00e9\"", "\"nul\\u0000\"", "\"é😀\"", "\"\"", "1", "0", "-3", "2.0", "1e2",
            "2.5", "10000000000000000000", "9223372036854775807", "true", "false", "null", "[]", "{}", "{\"x\":1}", "[1,2]", "\"tab\\t\"",
        ]
        return choices.randomElement(using: &generator)!
    }

    static func randomBody(_ generator: inout SeededGenerator) -> String {
        let keys = ["customer", "customer", "policy", "cost", "Customer", "extra", "cost"]
        let count = Int.random(in: 0...4, using: &generator)
        var members: [String] = []
        for _ in 0..<count {
            let key = keys.randomElement(using: &generator)!
            let space = Bool.random(using: &generator) ? " " : ""
            members.append("\"\(key)\"\(space):\(space)\(randomValue(&generator))")
        }
        var body = "{" + members.joined(separator: ",") + "}"
        switch Int.random(in: 0..<20, using: &generator) {
        case 0: body.removeLast()
        case 1: body = "[" + body + "]"
        case 2: body += " "
        default: break
        }
        return body
    }

    @Test func whatIsReadDirectlyTheStrictDecoderReadsAlike() throws {
        var generator = SeededGenerator(seed: 7)
        var direct = 0
        for _ in 0..<20_000 {
            let text = Self.randomBody(&generator)
            let request = HTTPRequest(
                method: .POST, path: "/v1/rate-limits/consume", headers: ["Content-Type": "application/json"], body: Array(text.utf8))
            guard let fast = RateLimitRoutes.ConsumeRequest.fast(request) else { continue }
            direct += 1
            let strict = try? request.decodeJSON(RateLimitRoutes.ConsumeRequest.self)
            #expect(strict != nil, "the strict decoder refuses \(text)")
            #expect(strict?.customer == fast.customer && strict?.policy == fast.policy && strict?.cost == fast.cost, "\(text)")
        }
        #expect(direct > 300)
    }
}
