import Foundation
import TollgateAPI
import TollgateCore
import TollgateEntitlements
import TollgateHTTPClient
import TollgateWire

/// Remote mode: a running `tollgate serve` reached through its HTTP API, with a bearer key.
///
/// Set by `TOLLGATE_API_URL` and `TOLLGATE_API_KEY`, or `--api-url` and `--api-key` (which win);
/// ``RemoteSettings`` declares them. Every command that has an API counterpart sends it
/// (``CommandContext/perform(_:local:)``); the others refuse (``CommandContext/withServices``).
/// The key goes in `Authorization: Bearer` only: it is never printed, logged or put in an error.
struct RemoteAPI {
    /// The base URL as given, without a trailing slash: `https://billing.internal:8080`.
    let baseURL: String
    private let key: String
    private let client: HTTPClient

    init(baseURL: String, key: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.key = key
        client = HTTPClient(configuration: .init(userAgent: "tollgate-cli/\(TollgateVersion.current)"))
    }

    /// Sends `request` and returns its answer when the API accepted it (2xx). An error answer
    /// throws the API's ``Failure`` (code, message, details), so the CLI prints and exits as the
    /// local path does for the same error; no answer at all throws a failure naming the URL.
    func send(_ request: APIRequest) throws -> APIResponse {
        var headers: HTTPClient.Headers = ["Authorization": "Bearer \(key)", "Accept": "application/json"]
        if request.body != nil { headers.add("Content-Type", "application/json") }
        if let key = request.idempotencyKey { headers.add("Idempotency-Key", key) }
        let response: HTTPClient.Response
        do {
            response = try client.perform(.init(
                method: HTTPClient.Method(rawValue: request.method.rawValue) ?? .GET, url: baseURL + request.target, headers: headers, body: request.body ?? [],
                connectTimeout: .seconds(10), timeout: .seconds(120)))
        } catch {
            throw Failure(.unavailable, code: "api_unreachable",
                          message: "cannot reach the Tollgate API at \(baseURL) (TOLLGATE_API_URL / --api-url): \(error.message)")
        }
        guard (200..<300).contains(response.status) else { throw failure(of: response) }
        return APIResponse(status: response.status, body: response.body)
    }

    /// Every item of a list, page after page (`limit` 100, `starting_after` the last cursor): for
    /// the commands that print a whole list where the API pages it.
    func all<Item: Decodable & Sendable>(_ request: APIRequest, cursor: (Item) -> String) throws -> [Item] {
        var items: [Item] = []
        var after: String?
        while true {
            var paged = request
            paged.query += [("limit", String(PageRequest.maximumLimit))] + (after.map { [("starting_after", $0)] } ?? [])
            let page = try send(paged).decode(Page<Item>.self)
            items += page.items
            guard page.hasMore, let last = page.items.last else { return items }
            after = cursor(last)
        }
    }

    /// The failure an error answer carries: the API's error body as it is; the bearer problems
    /// (401) say which key was refused by which API; a body that is not the API's (a proxy's
    /// page) names the status.
    private func failure(of response: HTTPClient.Response) -> Failure {
        let kind = Failure.Kind.allCases.first { APIErrors.status(of: $0) == response.status } ?? (response.status >= 500 ? .internal : .invalid)
        guard let body = try? JSONDecoder().decode(RemoteErrorBody.self, from: Data(response.body)) else {
            return Failure(kind, code: "api_error", message: "the Tollgate API at \(baseURL) answered HTTP \(response.status) without an error body")
        }
        var failure = Failure(kind, code: body.error.code, message: body.error.message, details: body.error.details ?? [])
        if response.status == 401 {
            failure.message = "the Tollgate API at \(baseURL) refused the key (TOLLGATE_API_KEY / --api-key): \(failure.message)"
        }
        return failure
    }
}

/// `{"error": {"code", "message", "details"}}` as read back from the API.
private struct RemoteErrorBody: Decodable {
    struct Content: Decodable {
        var code: String
        var message: String
        var details: [Failure.Detail]?
    }

    var error: Content
}
