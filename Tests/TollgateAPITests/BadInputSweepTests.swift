import Foundation
import Testing
import Tollgate
import TollgateAPI
import TollgateBilling
import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer
import TollgateOutbox
import TollgateTestSupport

/// A raw-socket sweep of malformed input over every registered route (the same list that builds
/// the router and the OpenAPI document), on both backends: every answer is a 4xx with the JSON
/// error body (or, for framing the server cannot parse, a clean close), never a 5xx; nothing is
/// stored; and the server keeps answering.
@Suite struct BadInputSweepTests {
    /// The classes of bad input; each applies to the routes it can reach.
    enum BadInput: CaseIterable {
        /// `%00` in a path parameter: libmicrohttpd decodes paths into C strings, so an unchecked
        /// NUL would cut the value short and address another resource.
        case nulInPath
        /// `%00` in a query parameter.
        case nulInQuery
        /// A body that is not JSON.
        case malformedJSON
        /// JSON of the wrong shape (an array).
        case wrongShape
        /// A field no operation takes.
        case unknownField
        /// A string holding U+0000.
        case nulInBody
        /// A body that is not JSON by its content type.
        case wrongContentType
        /// `Content-Length: -1` (libmicrohttpd 0.9.75 once sent its head twice for it).
        case negativeContentLength

        func applies(to endpoint: Endpoint) -> Bool {
            switch self {
            case .nulInPath: endpoint.path.contains("{")
            case .nulInQuery: true
            case .malformedJSON, .wrongShape, .unknownField, .nulInBody, .wrongContentType:
                endpoint.documentation.requestSchema != nil
            case .negativeContentLength: endpoint.method == .POST
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func everyRouteAnswersBadInputWithTheErrorBodyAndStoresNothing(backend: Backend) throws {
        let harness = try APIHarness(backend, environment: ["TOLLGATE_STRIPE_WEBHOOK_SECRET": "whsec_sweep_1a2b3c", "TOLLGATE_API_RATE_LIMIT": "off"])
        _ = try harness.services.catalog.apply(try Catalog.parse(Data(contentsOf: URL(fileURLWithPath: TestDatabase.repositoryRoot + "/examples/catalog.json"))))
        _ = try harness.services.customers.upsert(.init(externalID: "org_acme"))
        let token = try harness.token(.admin, name: "sweep")
        let before = try Self.storedCounts(harness)
        var probes = 0
        for endpoint in harness.api.endpoints {
            for input in BadInput.allCases where input.applies(to: endpoint) {
                let name = "\(endpoint.method.rawValue) \(endpoint.path) \(input)"
                let raw = Self.request(endpoint, input, token: token)
                let client = try HTTPTestClient(port: harness.port)
                defer { client.close() }
                try client.sendRaw(Array(raw.utf8))
                probes += 1
                guard let response = try? client.readResponse(method: endpoint.method.rawValue) else {
                    #expect(input == .negativeContentLength, "\(name): no answer")
                    continue
                }
                #expect((400..<500).contains(response.status), "\(name): \(response.status) \(response.text)")
                let requestLine = raw.prefix { $0 != "\r" }.split(separator: " ")
                if requestLine.count == 3 { harness.checkDocumented(String(requestLine[0]), String(requestLine[1]), response) }
                #expect(response.errorCode != nil, "\(name): not the error body: \(response.text)")
                if input == .nulInPath || input == .nulInQuery {
                    #expect(response.status == 400 && response.errorCode == "parameter_invalid", "\(name): \(response.text)")
                }
            }
        }
        #expect(probes > 100, "\(probes) probes")
        #expect(try Self.storedCounts(harness) == before, "bad input stored nothing")
        #expect(try harness.get("/healthz").status == 200)
    }

    /// The bytes of one request of `input` against `endpoint`.
    static func request(_ endpoint: Endpoint, _ input: BadInput, token: String) -> String {
        var path = endpoint.path.replacing(/\{[a-z_]+\}/, with: "org_acme")
        var contentType = "application/json"
        var body = "{}"
        var length: String?
        switch input {
        case .nulInPath: path = endpoint.path.replacing(/\{[a-z_]+\}/, with: "org_acme%00x")
        case .nulInQuery: path += "?limit=1&customer=org_acme%00x"
        case .malformedJSON: body = #"{"customer": "#
        case .wrongShape: body = "[1, 2, 3]"
        case .unknownField: body = #"{"zz_not_a_field": 1}"#
        case .nulInBody: body = #"{"zz": "a\u0000b", "customer": "org\u0000acme", "external_id": "org\u0000acme"}"#
        case .wrongContentType: contentType = "text/plain"
        case .negativeContentLength: length = "-1"
        }
        let usesBody = endpoint.method != .GET && endpoint.method != .DELETE
        var head = "\(endpoint.method.rawValue) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n"
        if usesBody {
            head += "Content-Type: \(contentType)\r\nContent-Length: \(length ?? String(body.utf8.count))\r\n"
        }
        return head + "\r\n" + (usesBody && length == nil ? body : "")
    }

    /// What a bad request must not change.
    static func storedCounts(_ harness: APIHarness) throws -> [String: Int] {
        let services = harness.services
        return [
            "customers": try services.customers.list(page: PageRequest(limit: 100)).items.count,
            "keys": try services.apiKeys.list().count,
            "grants": try services.grants.list(customer: "org_acme").count,
            "subscription": try services.subscriptions.current(customer: "org_acme") == nil ? 0 : 1,
            "suppressions": try services.suppressions.list(page: PageRequest(limit: 100)).items.count,
            "outbox": try services.outbox.counts().values.reduce(0, +),
            "stripe_events": try services.stripeEvents.counts().values.reduce(0, +),
            "used": try services.entitlements.snapshot(customer: "org_acme").entitlements["api.requests"]?.used.map(Int.init) ?? 0,
        ]
    }
}
