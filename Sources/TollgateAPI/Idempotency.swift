import TollgateCore
import TollgateCrypto
import TollgateHTTPServer

/// `Idempotency-Key` on POSTs: the first response is recorded and replayed to repeats of the same
/// request for 24 hours; the same key with a different request is a 422.
struct Idempotency: Sendable {
    static let header = "Idempotency-Key"
    let store: IdempotencyStore

    /// Runs `handler` once per key. Client errors (4xx) are recorded and replayed like successes;
    /// server errors release the key so that a retry runs again.
    func run(_ request: HTTPRequest, apiKey: APIKey, _ handler: () throws -> HTTPResponse) throws -> HTTPResponse {
        guard request.method == .POST, let key = request.headers[Self.header] else { return try handler() }
        let hash = SHA256.hex(Array("\(request.method.rawValue) \(request.path)\n".utf8) + request.body)
        switch try store.begin(apiKeyID: apiKey.id, key: key, requestHash: hash) {
        case .replay(let stored):
            var response = HTTPResponse(status: stored.status, body: stored.body)
            if let contentType = stored.contentType { response.headers.set("Content-Type", contentType) }
            response.headers.set("Idempotent-Replayed", "true")
            return response
        case .mismatch:
            throw HTTPError.unprocessable(
                "this Idempotency-Key was used with a different request; use a new key for a new request",
                code: "idempotency_key_reused")
        case .inProgress:
            throw HTTPError.conflict("a request with this Idempotency-Key is still being processed; retry shortly", code: "idempotency_key_in_use")
        case .proceed:
            break
        }
        let response: HTTPResponse
        do {
            response = try handler()
        } catch {
            let httpError = APIErrors.httpError(for: error, logger: request.logger)
            if httpError.status >= 500 {
                try? store.release(apiKeyID: apiKey.id, key: key)
                throw httpError
            }
            response = .error(httpError)
        }
        if response.status >= 500 {
            try? store.release(apiKeyID: apiKey.id, key: key)
        } else {
            try store.complete(apiKeyID: apiKey.id, key: key, response: .init(
                status: response.status, contentType: response.headers["Content-Type"], body: response.body))
        }
        return response
    }
}
