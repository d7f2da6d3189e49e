import TollgateCore
import TollgateCrypto
import TollgateEntitlements
import TollgateHTTPServer

/// `Idempotency-Key` on POSTs: the first response is recorded and replayed to repeats of the same
/// request for 24 hours; the same key with a different request is a 422; a repeat while the first
/// runs is a 409 — until the first one's lease runs out because its process died
/// (``IdempotencyStore/Lease``): then the repeat runs.
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
        case .proceed(let reservation):
            return try run(request, reserved: reservation, handler)
        }
    }

    /// Runs the handler of the request holding `reservation`, then records its response or releases the key.
    private func run(
        _ request: HTTPRequest, reserved reservation: IdempotencyStore.Reservation, _ handler: () throws -> HTTPResponse
    ) throws -> HTTPResponse {
        let response: HTTPResponse
        do {
            response = try handler()
        } catch {
            let httpError = APIErrors.httpError(for: error, logger: request.logger)
            if httpError.status >= 500 {
                try? store.release(reservation)
                throw httpError
            }
            response = .error(httpError)
        }
        if response.status >= 500 {
            try? store.release(reservation)
            return response
        }
        do {
            try store.complete(reservation, response: .init(
                status: response.status, contentType: response.headers["Content-Type"], body: response.body))
        } catch {
            // Not recorded: free the key so that a retry runs again rather than waiting for the lease.
            try? store.release(reservation)
            throw error
        }
        return response
    }
}
