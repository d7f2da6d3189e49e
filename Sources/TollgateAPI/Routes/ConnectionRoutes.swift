import Foundation
import TollgateCore
import TollgateEntitlements
import TollgateHTTPServer
import TollgateIntegrations
import TollgateLogging

/// OAuth connections: start, the browser's callback, list, show, fresh token, disconnect.
///
/// Without `TOLLGATE_OAUTH_PROVIDERS` the operations answer 409 `integrations_not_configured`.
/// The fresh token is the only body that carries a token; it is sent with `Cache-Control: no-store`
/// and is a GET so that no `Idempotency-Key` record ever stores it.
enum ConnectionRoutes {
    struct StartRequest: Decodable, Sendable {
        var provider: String
        var returnURL: String?
        var scopes: [String]?

        enum CodingKeys: String, CodingKey {
            case provider, returnURL = "returnUrl", scopes
        }
    }

    static func endpoints(service: IntegrationService) -> [Endpoint] {
        [
            Endpoint(.POST, "/v1/customers/{external_id}/connections", scope: .write, documentation: .init(
                "startConnection",
                summary: "Start connecting the customer to a provider: checks the entitlement (integrations.<provider> or room under "
                    + "integrations.connections; 403 not_entitled with the reason), stores a one-time state with PKCE S256 and returns the "
                    + "authorization URL to send the person's browser to",
                tag: "Connections", requestSchema: "ConnectionStartRequest", successStatus: 201, responseSchema: "ConnectionStart",
                errors: [403, 409, 503])
            ) { request, _ in
                let body = try request.decodeJSON(StartRequest.self)
                let start = try service.start(
                    customer: try request.pathParameter("external_id"), provider: body.provider, returnURL: body.returnURL, scopes: body.scopes)
                return try .json(start, status: 201)
            },
            Endpoint(.GET, "/v1/customers/{external_id}/connections", scope: .read, documentation: .init(
                "listConnections", summary: "The customer's connections (one per provider at most), without tokens", tag: "Connections",
                responseSchema: "ConnectionList")
            ) { request, _ in
                try .json(Page(all: try service.list(customer: try request.pathParameter("external_id"))))
            },
            Endpoint(.GET, "/v1/connections/{connection_id}", scope: .read, documentation: .init(
                "getConnection", summary: "One connection, without tokens", tag: "Connections", responseSchema: "Connection")
            ) { request, _ in
                try .json(try service.show(connectionID: try request.pathParameter("connection_id")))
            },
            Endpoint(.GET, "/v1/connections/{connection_id}/token", scope: .write, documentation: .init(
                "getConnectionToken",
                summary: "A valid access token, refreshed first when it expires within the provider's margin (single-flight across "
                    + "threads and instances). 409 connection_refresh_failed: reconnect; 503 provider_unavailable: retry later. "
                    + "Needs the write scope: it hands out a credential.",
                tag: "Connections", responseSchema: "ConnectionToken", errors: [409, 502, 503])
            ) { request, _ in
                var response = try HTTPResponse.json(try service.freshToken(connectionID: try request.pathParameter("connection_id")))
                response.headers.set("Cache-Control", "no-store")
                return response
            },
            Endpoint(.DELETE, "/v1/connections/{connection_id}", scope: .write, documentation: .init(
                "disconnectConnection",
                summary: "Revoke the grant at the provider (RFC 7009, best effort, recorded) and delete the connection; queues the "
                    + "integration_disconnected mail",
                tag: "Connections", responseSchema: "Disconnection", errors: [409, 503])
            ) { request, _ in
                try .json(try service.disconnect(connectionID: try request.pathParameter("connection_id"), reason: "It was disconnected through the API"))
            },
            Endpoint(.GET, IntegrationSettings.callbackPath, scope: nil, documentation: .init(
                "oauthCallback",
                summary: "Where the provider sends the person's browser back (no API key). Consumes the state once, exchanges the code, "
                    + "and redirects (302) to the return URL with ?outcome=connected|access_denied|invalid_grant|state_expired|… ; "
                    + "without a return URL the outcome is a JSON body (200 connected, 4xx/5xx otherwise)",
                tag: "Connections",
                query: [.init("state", "The one-time state", required: true), .init("code", "The authorization code"),
                        .init("error", "The provider's error, such as access_denied")],
                successStatus: 302, responseSchema: nil,
                otherResponses: Dictionary(uniqueKeysWithValues: [200, 400, 403, 502, 503].map { ($0, "OAuthCallbackResult") }))
            ) { request, _ in
                callback(request, service: service)
            },
        ]
    }

    /// The callback's answer: never a 500, whatever failed.
    static func callback(_ request: HTTPRequest, service: IntegrationService) -> HTTPResponse {
        var query: [String: String] = [:]
        for (name, value) in request.query where query[name] == nil { query[name] = value }
        let outcome: CallbackOutcome
        do {
            outcome = try service.callback(query: query)
        } catch {
            request.logger.error("oauth callback: store failed", ["error": String(describing: error)])
            outcome = CallbackOutcome(.serverError, "Tollgate could not complete this authorization now; try again")
        }
        var headers = HTTPHeaders()
        headers.set("Cache-Control", "no-store")
        // The page's URL holds the code: never send it on as a Referer.
        headers.set("Referrer-Policy", "no-referrer")
        if let location = outcome.redirectLocation {
            headers.set("Location", location)
            return HTTPResponse(status: 302, headers: headers)
        }
        let body = CallbackBody(
            outcome: outcome.result.rawValue, message: outcome.message, provider: outcome.provider, customer: outcome.customer,
            connectionID: outcome.connectionID)
        return (try? HTTPResponse.json(body, status: status(of: outcome.result), headers: headers)) ?? HTTPResponse(status: status(of: outcome.result))
    }

    struct CallbackBody: Encodable {
        var outcome: String
        var message: String
        var provider: String?
        var customer: String?
        var connectionID: String?

        enum CodingKeys: String, CodingKey {
            case outcome, message, provider, customer, connectionID = "connectionId"
        }
    }

    static func status(of result: CallbackOutcome.Result) -> Int {
        switch result {
        case .connected: 200
        case .accessDenied, .notEntitled: 403
        case .invalidGrant, .stateUnknown, .stateExpired, .stateReplayed, .invalidCallback: 400
        case .providerError: 502
        case .providerUnavailable, .serverError: 503
        }
    }
}
