import TollgateCore
import TollgateHTTPServer
import TollgateLogging
import TollgateStore

/// `/healthz`, `/readyz`, `/metrics` and `/openapi.json`: no authentication.
enum OperationalRoutes {
    struct Health: Encodable { var status = "ok" }

    struct Readiness: Encodable {
        struct Check: Encodable {
            var ok: Bool
            var message: String?
        }
        var status: String
        var checks: [String: Check]
    }

    static func endpoints(services: Services, metrics: @escaping @Sendable () -> String, openAPI: @escaping @Sendable () -> [UInt8]) -> [Endpoint] {
        [
            Endpoint(.GET, "/healthz", scope: nil, blocks: false, documentation: .init(
                "health", summary: "Liveness: the process answers", tag: "Operations", responseSchema: "Health")
            ) { _, _ in
                try .json(Health())
            },
            Endpoint(.GET, "/readyz", scope: nil, documentation: .init(
                "readiness", summary: "Readiness: the store answers, can keep a write, and its schema is current (503 otherwise)", tag: "Operations",
                responseSchema: "Readiness", otherResponses: [503: "Readiness"])
            ) { request, _ in
                let checks = readinessChecks(services: services, request: request)
                let ready = checks.values.allSatisfy(\.ok)
                return try .json(Readiness(status: ready ? "ready" : "not_ready", checks: checks), status: ready ? 200 : 503)
            },
            Endpoint(.GET, "/metrics", scope: nil, documentation: .init(
                "metrics", summary: "Prometheus metrics: requests, latency, store pool, Stripe events by status (pending, failed, unsupported_version)",
                tag: "Operations",
                responseSchema: nil, responseMediaType: "text/plain")
            ) { _, _ in
                .text(metrics(), contentType: "text/plain; version=0.0.4; charset=utf-8")
            },
            Endpoint(.GET, "/openapi.json", scope: nil, blocks: false, documentation: .init(
                "openAPI", summary: "This API's OpenAPI 3.1 document", tag: "Operations", responseSchema: "OpenAPIDocument")
            ) { _, _ in
                HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: openAPI())
            },
        ]
    }

    private static func readinessChecks(services: Services, request: HTTPRequest) -> [String: Readiness.Check] {
        var checks: [String: Readiness.Check] = [:]
        do {
            try services.database.withConnection { connection in _ = try connection.query("SELECT 1") }
            try services.database.checkWritable()
            checks["store"] = .init(ok: true)
        } catch let error as StoreError where error.code == .readOnly {
            request.logger.warning("readiness: store cannot keep writes", ["error": error.description])
            checks["store"] = .init(ok: false, message: "store cannot keep writes (read-only, or its file was removed or replaced)")
        } catch {
            request.logger.warning("readiness: store unreachable", ["error": String(describing: error)])
            checks["store"] = .init(ok: false, message: "store unreachable")
            checks["schema"] = .init(ok: false, message: "not checked: store unreachable")
            return checks
        }
        do {
            let pending = try services.schema.pendingDescription()
            checks["schema"] = .init(ok: pending == nil, message: pending)
        } catch {
            request.logger.warning("readiness: schema check failed", ["error": String(describing: error)])
            checks["schema"] = .init(ok: false, message: "schema check failed")
        }
        return checks
    }
}
