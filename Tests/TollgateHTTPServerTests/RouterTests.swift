import Testing
@testable import TollgateHTTPServer

@Suite struct RouterTests {
    private func router(_ patterns: [(HTTPMethod, String)]) -> Router {
        let router = Router()
        for (method, pattern) in patterns {
            router.register(method, pattern) { _ in .text(pattern) }
        }
        return router
    }

    private func matched(_ match: RouteMatch) -> (pattern: String, method: HTTPMethod, parameters: [String: String])? {
        guard case .matched(let route, let parameters) = match else { return nil }
        return (route.pattern, route.method, parameters)
    }

    @Test func parametersAreExtracted() throws {
        let router = router([(.GET, "/v1/customers/{customer}/entitlements/{feature}")])
        let found = try #require(matched(router.match(method: .GET, path: "/v1/customers/c_1/entitlements/seats")))
        #expect(found.pattern == "/v1/customers/{customer}/entitlements/{feature}")
        #expect(found.parameters == ["customer": "c_1", "feature": "seats"])
    }

    @Test func literalSegmentsWinOverParameters() throws {
        let router = router([(.GET, "/v1/keys/{id}"), (.GET, "/v1/keys/search")])
        #expect(matched(router.match(method: .GET, path: "/v1/keys/search"))?.pattern == "/v1/keys/search")
        #expect(matched(router.match(method: .GET, path: "/v1/keys/k_1"))?.parameters == ["id": "k_1"])
    }

    @Test func literalBranchFallsBackToParameterWhenItDeadEnds() throws {
        let router = router([(.GET, "/v1/keys/search/recent"), (.GET, "/v1/keys/{id}")])
        #expect(matched(router.match(method: .GET, path: "/v1/keys/search"))?.parameters == ["id": "search"])
    }

    @Test func unknownPathIsNotFound() {
        let router = router([(.GET, "/v1/keys"), (.GET, "/v1/keys/{id}")])
        for path in ["/v1/nothing", "/v1/keys/a/b", "/", "", "v1/keys", "/v1/keys//"] {
            guard case .notFound = router.match(method: .GET, path: path) else {
                Issue.record("\(path) should be 404")
                continue
            }
        }
    }

    @Test func wrongMethodListsTheAllowedOnes() {
        let router = router([(.GET, "/v1/keys"), (.POST, "/v1/keys"), (.DELETE, "/v1/keys/{id}")])
        guard case .methodNotAllowed(let allowed) = router.match(method: .PUT, path: "/v1/keys") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == [.GET, .HEAD, .POST])
        guard case .methodNotAllowed(let others) = router.match(method: .GET, path: "/v1/keys/k_1") else {
            Issue.record("expected 405")
            return
        }
        #expect(others == [.DELETE])
    }

    @Test func headIsAnsweredByGet() throws {
        let router = router([(.GET, "/healthz")])
        let found = try #require(matched(router.match(method: .HEAD, path: "/healthz")))
        #expect(found.method == .GET)
    }

    @Test func explicitHeadRouteWins() throws {
        let router = router([(.GET, "/file"), (.HEAD, "/file")])
        #expect(matched(router.match(method: .HEAD, path: "/file"))?.method == .HEAD)
    }

    /// Documented behaviour: a trailing slash is a different path.
    @Test func trailingSlashIsSignificant() throws {
        let router = router([(.GET, "/v1/keys"), (.GET, "/v1/plans/")])
        guard case .notFound = router.match(method: .GET, path: "/v1/keys/") else {
            Issue.record("/v1/keys/ must not match /v1/keys")
            return
        }
        #expect(matched(router.match(method: .GET, path: "/v1/plans/"))?.pattern == "/v1/plans/")
        guard case .notFound = router.match(method: .GET, path: "/v1/plans") else {
            Issue.record("/v1/plans must not match /v1/plans/")
            return
        }
    }

    @Test func rootPathMatches() {
        let router = router([(.GET, "/")])
        #expect(matched(router.match(method: .GET, path: "/"))?.pattern == "/")
    }

    @Test func parameterNeverMatchesAnEmptySegment() {
        let router = router([(.GET, "/v1/keys/{id}")])
        guard case .notFound = router.match(method: .GET, path: "/v1/keys/") else {
            Issue.record("an empty segment must not fill {id}")
            return
        }
    }

    @Test func differentParameterNamesAtTheSamePosition() throws {
        let router = router([(.GET, "/v1/customers/{id}"), (.GET, "/v1/customers/{customer}/grants")])
        #expect(matched(router.match(method: .GET, path: "/v1/customers/c_9"))?.parameters == ["id": "c_9"])
        #expect(matched(router.match(method: .GET, path: "/v1/customers/c_9/grants"))?.parameters == ["customer": "c_9"])
    }

    @Test func routesListsRegistrationsInOrder() {
        let router = router([(.POST, "/v1/keys"), (.GET, "/v1/keys/{id}"), (.GET, "/healthz")])
        #expect(router.routes.map { "\($0.method.rawValue) \($0.pattern)" } == ["POST /v1/keys", "GET /v1/keys/{id}", "GET /healthz"])
    }

    @Test func invalidPatternsAreRejected() {
        for pattern in ["v1/keys", "/v1/{id", "/v1/x{id}", "/v1/{}", "/v1/{a}/{a}"] {
            var table = RouteTable()
            #expect(table.insert(method: .GET, pattern: pattern, options: .init()) { _ in .noContent() } != nil, "\(pattern)")
        }
        var table = RouteTable()
        #expect(table.insert(method: .GET, pattern: "/x/{id}", options: .init()) { _ in .noContent() } == nil)
        #expect(table.insert(method: .GET, pattern: "/x/{other}", options: .init()) { _ in .noContent() } != nil)
    }

    @Test func unknownMethodOnAKnownPathIsNotAllowed() {
        var table = RouteTable()
        _ = table.insert(method: .GET, pattern: "/x", options: .init()) { _ in .noContent() }
        guard case .methodNotAllowed(let allowed) = table.match(method: nil, path: "/x") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == [.GET, .HEAD])
    }
}

/// Literal routes are found by exact path before the tree walk. A path that a literal route spells
/// out belongs to the literal routes alone: another method there is a 405 listing theirs, never a
/// parameter route taking the literal as its value (so `Allow` and the OpenAPI document agree).
@Suite struct ExactRouteTests {
    @Test func aLiteralPathBelongsToItsLiteralRoutes() {
        let router = Router()
        router.register(.GET, "/v1/keys") { _ in .text("literal get") }
        router.register(.POST, "/v1/{thing}") { _ in .text("param post") }
        router.register(.GET, "/v1/{thing}") { _ in .text("param get") }
        func pattern(_ method: HTTPMethod, _ path: String) -> String? {
            if case .matched(let route, _) = router.match(method: method, path: path) { return route.pattern }
            return nil
        }
        #expect(pattern(.GET, "/v1/keys") == "/v1/keys")
        #expect(pattern(.HEAD, "/v1/keys") == "/v1/keys")
        // No literal POST route: still the literal path's, so a 405 (below), not the parameter route.
        #expect(pattern(.POST, "/v1/keys") == nil)
        #expect(pattern(.GET, "/v1/other") == "/v1/{thing}")
        #expect(pattern(.POST, "/v1/other") == "/v1/{thing}")
        // A trailing slash is a different path.
        #expect(pattern(.GET, "/v1/keys/") == nil)
        guard case .methodNotAllowed(let allowed) = router.match(method: .DELETE, path: "/v1/keys") else {
            Issue.record("expected 405")
            return
        }
        #expect(Set(allowed) == [.GET, .HEAD])
    }

    @Test func aFallbackAnswersOnlyUnderItsPrefixLongestFirst() throws {
        let router = Router()
        router.register(.GET, "/admin") { _ in .text("admin") }
        router.registerFallback(prefix: "/admin") { miss in .text("admin \(miss.status)") }
        router.registerFallback(prefix: "/admin/deep") { miss in .text("deep \(miss.status)") }
        let table = router.snapshot()
        func answer(_ path: String) -> String? {
            table.fallback(for: path).map { String(decoding: $0(RouteMiss(method: "GET", path: path, allowed: [])).body, as: UTF8.self) }
        }
        #expect(answer("/admin") == "admin 404")
        #expect(answer("/admin/nothing") == "admin 404")
        #expect(answer("/admin/deep") == "deep 404" && answer("/admin/deep/er") == "deep 404")
        #expect(answer("/administrator") == nil && answer("/v1/admin") == nil && answer("/") == nil)
        #expect(RouteMiss(method: "PUT", path: "/admin", allowed: [.GET, .HEAD]).status == 405)
    }
}
