import Foundation
import Testing
import TollgateAPI
import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer
import TollgateTestSupport

/// Every registered endpoint's scope, proved over HTTP from the same list that builds the router
/// and the OpenAPI document. The scope each operation must require is written here, apart from the
/// declarations it checks: lowering an endpoint's scope fails the table, and a new endpoint fails
/// it until its scope is written down here.
@Suite struct EndpointScopeTests {
    /// What each operation requires; nil: no key (operational endpoints, Stripe's webhook, the
    /// OAuth callback, each authenticated by other means or public by design).
    static let required: [String: APIKeyScope?] = [
        "GET /healthz": nil,
        "GET /metrics": nil,
        "GET /oauth/callback": nil,
        "GET /openapi.json": nil,
        "GET /readyz": nil,
        "DELETE /v1/connections/{connection_id}": .write,
        "GET /v1/connections/{connection_id}": .read,
        "GET /v1/connections/{connection_id}/token": .write,
        "GET /v1/customers": .read,
        "POST /v1/customers": .write,
        "GET /v1/customers/{external_id}": .read,
        "POST /v1/customers/{external_id}/checkout": .write,
        "POST /v1/customers/{external_id}/credits/checkout": .write,
        "GET /v1/customers/{external_id}/credits/top-up": .read,
        "PUT /v1/customers/{external_id}/credits/top-up": .write,
        "GET /v1/customers/{external_id}/connections": .read,
        "POST /v1/customers/{external_id}/connections": .write,
        "GET /v1/customers/{external_id}/entitlements": .read,
        "GET /v1/customers/{external_id}/entitlements/{feature}": .read,
        "GET /v1/customers/{external_id}/grants": .read,
        "GET /v1/events/stream": .read,
        "POST /v1/customers/{external_id}/grants": .write,
        "DELETE /v1/customers/{external_id}/grants/{grant_id}": .write,
        "GET /v1/customers/{external_id}/credits": .read,
        "GET /v1/customers/{external_id}/seats/{feature}": .read,
        "POST /v1/customers/{external_id}/seats/{feature}": .write,
        "DELETE /v1/customers/{external_id}/seats/{feature}/{member}": .write,
        "GET /v1/customers/{external_id}/credits/ledger": .read,
        "POST /v1/customers/{external_id}/credits/grants": .write,
        "POST /v1/customers/{external_id}/credits/holds": .write,
        "GET /v1/customers/{external_id}/credits/holds/{hold_id}": .read,
        "POST /v1/customers/{external_id}/credits/holds/{hold_id}/commit": .write,
        "POST /v1/customers/{external_id}/credits/holds/{hold_id}/release": .write,
        "POST /v1/customers/{external_id}/portal": .write,
        "GET /v1/customers/{external_id}/subscription": .read,
        "POST /v1/customers/{external_id}/subscription": .write,
        "POST /v1/customers/{external_id}/subscription/cancel": .write,
        "POST /v1/customers/{external_id}/subscription/change": .write,
        "GET /v1/customers/{external_id}/subscription/history": .read,
        "POST /v1/customers/{external_id}/subscription/resume": .write,
        "GET /v1/entitlements/check": .read,
        "GET /v1/features": .read,
        "GET /v1/keys": .admin,
        "DELETE /v1/keys/{id}": .admin,
        "GET /v1/keys/{id}": .admin,
        "GET /v1/events": .read,
        "GET /v1/events/{id}": .read,
        "GET /v1/outbox": .admin,
        "POST /v1/outbox/purge": .admin,
        "GET /v1/outbox/{id}": .admin,
        "POST /v1/outbox/{id}/retry": .admin,
        "POST /v1/webhook-endpoints": .admin,
        "GET /v1/webhook-endpoints": .admin,
        "GET /v1/webhook-endpoints/{id}": .admin,
        "PATCH /v1/webhook-endpoints/{id}": .admin,
        "DELETE /v1/webhook-endpoints/{id}": .admin,
        "POST /v1/webhook-endpoints/{id}/rotate-secret": .admin,
        "POST /v1/webhook-endpoints/{id}/test": .admin,
        "GET /v1/webhook-endpoints/{id}/deliveries": .admin,
        "POST /v1/webhook-endpoints/{id}/deliveries/{delivery_id}/redeliver": .admin,
        "GET /v1/plans": .read,
        "POST /v1/plans/push": .admin,
        "GET /v1/stripe/usage-export": .admin,
        "GET /v1/plans/{key}": .read,
        "POST /v1/rate-limits/consume": .write,
        "GET /v1/suppressions": .admin,
        "POST /v1/suppressions": .admin,
        "DELETE /v1/suppressions/{address}": .admin,
        "POST /v1/usage": .write,
        "POST /v1/usage/batch": .write,
        "POST /v1/usage/consume": .write,
        "GET /v1/webhooks/events": .admin,
        "GET /v1/webhooks/events/{id}": .admin,
        "POST /v1/webhooks/events/{id}/replay": .admin,
        "POST /webhooks/stripe": nil,
    ]
    /// `{name}` segments filled with a value that names nothing, so a handler that gets past
    /// authentication answers 404 or 400 and changes nothing.
    static func concretePath(_ pattern: String) -> String {
        pattern.replacing(/\{[a-z_]+\}/, with: "scope_probe")
    }

    /// Queries that make a probe end: a stream admitted would never finish its response, so the
    /// probe names an unknown event type and is answered 400 once past authentication.
    static let probeQueries = ["/v1/events/stream": "?types=scope_probe"]

    static func send(_ harness: APIHarness, _ endpoint: Endpoint, token: String?) throws -> TestResponse {
        let path = concretePath(endpoint.path) + (probeQueries[endpoint.path] ?? "")
        let body: [UInt8]? = endpoint.method == .GET ? nil : Array("{}".utf8)
        return try harness.send(endpoint.method.rawValue, path, token: token, body: body)
    }

    @Test func everyEndpointIsInTheTable() throws {
        let harness = try APIHarness(.sqlite)
        let registered = Set(harness.api.endpoints.map { "\($0.method.rawValue) \($0.path)" })
        #expect(registered.subtracting(Self.required.keys).isEmpty,
                "write the scope of each new endpoint into EndpointScopeTests.required: \(registered.subtracting(Self.required.keys).sorted())")
        #expect(Set(Self.required.keys).subtracting(registered).isEmpty, "no longer registered: \(Set(Self.required.keys).subtracting(registered))")
        for endpoint in harness.api.endpoints {
            let name = "\(endpoint.method.rawValue) \(endpoint.path)"
            guard let required = Self.required[name] else { continue }
            #expect(endpoint.scope == required, "\(name) requires \(endpoint.scope?.rawValue ?? "no key"), the table says \(required?.rawValue ?? "no key")")
        }
    }

    /// Over HTTP, for every endpoint that needs a key: none → 401, a key one scope below what the
    /// table requires → 403 `insufficient_scope`, the required scope → past authentication.
    @Test func everyEndpointRefusesNoKeyAndALowerScopeAndAdmitsItsOwn() throws {
        let harness = try APIHarness(.sqlite)
        let tokens = Dictionary(uniqueKeysWithValues: try APIKeyScope.allCases.map { ($0, try harness.token($0, name: "scope-\($0)")) })
        var probed = 0
        for endpoint in harness.api.endpoints {
            let name = "\(endpoint.method.rawValue) \(endpoint.path)"
            guard let required = Self.required[name], let scope = required else { continue }
            probed += 1

            let anonymous = try Self.send(harness, endpoint, token: nil)
            #expect(anonymous.status == 401 && anonymous.errorCode == "unauthorized", "\(name) without a key: \(anonymous.status) \(anonymous.text)")

            if let below = APIKeyScope.allCases.last(where: { $0 < scope }) {
                let refused = try Self.send(harness, endpoint, token: tokens[below])
                #expect(refused.status == 403 && refused.errorCode == "insufficient_scope",
                        "\(name) with a \(below.rawValue) key: \(refused.status) \(refused.text)")
            }

            // Past authentication: the handler ran (and answered 404, 400, 503, … for the probe).
            let admitted = try Self.send(harness, endpoint, token: tokens[scope])
            #expect(admitted.status != 401 && admitted.errorCode != "insufficient_scope",
                    "\(name) with its own scope: \(admitted.status) \(admitted.text)")
            #expect(admitted.status != 500, "\(name): \(admitted.text)")
        }
        #expect(probed == Self.required.values.filter { $0 != nil }.count)
    }

    /// The document says each operation's scope (`"security": [{"bearer": ["write"]}]`), the same
    /// as the endpoint the router runs.
    @Test func theDocumentStatesEachOperationsScope() throws {
        let harness = try APIHarness(.sqlite)
        let paths = try #require(try harness.get("/openapi.json").json()["paths"] as? [String: [String: [String: Any]]])
        for endpoint in harness.api.endpoints {
            let operation = try #require(paths[endpoint.path]?[endpoint.method.rawValue.lowercased()])
            let security = operation["security"] as? [[String: [String]]]
            if let scope = endpoint.scope {
                #expect(security == [["bearer": [scope.rawValue]]], "\(endpoint.method.rawValue) \(endpoint.path)")
            } else {
                #expect(security == nil, "\(endpoint.method.rawValue) \(endpoint.path) needs no key")
            }
        }
    }
}
