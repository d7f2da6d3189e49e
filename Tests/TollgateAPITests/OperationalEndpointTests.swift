import Foundation
import Testing
import TollgateEntitlements
import TollgateStore
import TollgateTestSupport

@Suite struct OperationalEndpointTests {
    @Test(arguments: Backend.allCases)
    func healthzAnswersWithoutAKeyAndCarriesARequestID(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let response = try harness.get("/healthz")
        #expect(response.status == 200)
        #expect(try response.json()["status"] as? String == "ok")
        #expect((response.header("X-Request-Id") ?? "").count >= 16)
        let echoed = try harness.get("/healthz", headers: [("X-Request-Id", "req-abc.123")])
        #expect(echoed.header("X-Request-Id") == "req-abc.123")
    }

    @Test(arguments: Backend.allCases)
    func readyzIsReadyOnACurrentSchema(backend: Backend) throws {
        let harness = try APIHarness(backend)
        let response = try harness.get("/readyz")
        #expect(response.status == 200)
        let body = try response.json()
        #expect(body["status"] as? String == "ready")
        let checks = try #require(body["checks"] as? [String: [String: Any]])
        #expect(checks["store"]?["ok"] as? Bool == true)
        #expect(checks["schema"]?["ok"] as? Bool == true)
    }

    @Test(arguments: Backend.allCases)
    func readyzIs503WhileMigrationsArePending(backend: Backend) throws {
        let harness = try APIHarness(backend, migrated: false)
        let response = try harness.get("/readyz")
        #expect(response.status == 503)
        let body = try response.json()
        #expect(body["status"] as? String == "not_ready")
        let schema = try #require((body["checks"] as? [String: [String: Any]])?["schema"])
        #expect(schema["ok"] as? Bool == false)
        #expect((schema["message"] as? String ?? "").contains("pending"))
    }

    @Test func readyzIs503WhenTheStoreIsGone() throws {
        let harness = try APIHarness(.sqlite)
        harness.store.database.close()
        let response = try harness.get("/readyz")
        #expect(response.status == 503)
        #expect(response.text.contains("store unreachable"))
    }

    /// The SQLite file removed while serving: SQLite would go on writing into the unlinked file
    /// (lost on restart), so the store is not ready and every write is refused with a 503.
    @Test func aRemovedSQLiteFileIsNotReadyAndRefusesWrites() throws {
        let harness = try APIHarness(.sqlite)
        let writer = try harness.token(.write)
        #expect(try harness.get("/readyz").status == 200)
        let path = String(harness.store.url.dropFirst("sqlite:".count))
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let readiness = try harness.get("/readyz")
        #expect(readiness.status == 503, "\(readiness.text)")
        #expect(readiness.text.contains("store cannot keep writes"))
        #expect(!readiness.text.contains(path), "no server path in an unauthenticated answer")
        let write = try harness.send("POST", "/v1/customers", token: writer, body: Array(#"{"external_id":"org_lost"}"#.utf8))
        #expect(write.status == 503 && write.errorCode == "store_unavailable", "\(write.text)")
    }

    /// A SQLite file with no write permission: not ready, and a write transaction is a 503, not a 500.
    @Test func aReadOnlySQLiteFileIsNotReadyAndWritesAre503() throws {
        let harness = try APIHarness(.sqlite)
        let writer = try harness.token(.write)
        let path = String(harness.store.url.dropFirst("sqlite:".count))
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path) }
        let readiness = try harness.get("/readyz")
        #expect(readiness.status == 503, "\(readiness.text)")
        let write = try harness.send("POST", "/v1/customers", token: writer, body: Array(#"{"external_id":"org_ro"}"#.utf8))
        #expect(write.status == 503 && write.errorCode == "store_unavailable", "\(write.text)")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(try harness.get("/readyz").status == 200, "ready again once writable")
    }

    @Test func metricsCountRequestsByRouteAndStatusAndShowThePool() throws {
        let harness = try APIHarness(.sqlite)
        _ = try harness.get("/healthz")
        _ = try harness.get("/healthz")
        _ = try harness.get("/v1/keys")  // 401
        _ = try harness.get("/nowhere")  // 404
        // A request is counted just after its response is sent: wait (bounded) for the counters.
        var response = try harness.get("/metrics")
        let deadline = ContinuousClock.now + .seconds(5)
        while !response.text.contains(#"tollgate_http_requests_total{method="GET",route="/healthz",status="200"} 2"#)
            || !response.text.contains(#"status="404"} 1"#) || !response.text.contains(#"route="/v1/keys",status="401"} 1"#),
            ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.02)
            response = try harness.get("/metrics")
        }
        #expect(response.status == 200)
        #expect(response.header("Content-Type")?.hasPrefix("text/plain") == true)
        let text = response.text
        #expect(text.contains("# TYPE tollgate_http_requests_total counter"))
        #expect(text.contains(#"tollgate_http_requests_total{method="GET",route="/healthz",status="200"} 2"#))
        #expect(text.contains(#"route="/v1/keys",status="401"} 1"#))
        #expect(text.contains(#"status="404"} 1"#))
        #expect(text.contains("# TYPE tollgate_http_request_duration_seconds histogram"))
        #expect(text.contains(#"tollgate_http_request_duration_seconds_bucket{route="/healthz",le="+Inf"} 2"#))
        #expect(text.contains(#"tollgate_store_pool_max_connections{backend="sqlite"}"#))
        #expect(text.contains("tollgate_store_pool_in_use_connections"))
    }

    /// The process's own figures (issue 18), under Prometheus's `process_*` names, with values that
    /// could be true of this process.
    @Test func metricsShowTheProcess() throws {
        let harness = try APIHarness(.sqlite)
        let text = try harness.get("/metrics").text
        func value(_ name: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        for (name, type) in [("process_cpu_seconds_total", "counter"), ("process_resident_memory_bytes", "gauge"), ("process_threads", "gauge"),
                             ("process_open_fds", "gauge"), ("process_max_fds", "gauge"), ("process_start_time_seconds", "gauge")] {
            #expect(text.contains("# TYPE \(name) \(type)\n"), "\(name)")
        }
        #expect((value("process_resident_memory_bytes") ?? 0) > 1_000_000)
        #expect((value("process_threads") ?? 0) >= 2)
        #expect((value("process_open_fds") ?? 0) >= 3 && (value("process_open_fds") ?? 0) <= (value("process_max_fds") ?? 0))
        let started = try #require(value("process_start_time_seconds"))
        let now = Date().timeIntervalSince1970
        #expect(started <= now + 2 && started > now - 86_400, "\(started) against \(now)")
        #expect((value("process_cpu_seconds_total") ?? -1) >= 0)
    }

    @Test func unknownRouteIs404AndWrongMethodIs405WithAllow() throws {
        let harness = try APIHarness(.sqlite)
        let missing = try harness.get("/v2/nothing")
        #expect(missing.status == 404)
        #expect(missing.errorCode == "not_found")
        let wrong = try harness.send("POST", "/healthz", body: Array("{}".utf8))
        #expect(wrong.status == 405)
        #expect(wrong.header("Allow")?.contains("GET") == true)
        #expect(wrong.errorCode == "method_not_allowed")
    }

    @Test func oversizedBodyIs413BeforeAuthenticationAndRouting() throws {
        let harness = try APIHarness(.sqlite)
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: 1_048_577)
        for path in ["/v1/keys", "/no/such/route"] {
            let response = try harness.send("POST", path, body: body)
            #expect(response.status == 413, "\(path)")
            #expect(response.errorCode == "payload_too_large")
        }
    }
}
