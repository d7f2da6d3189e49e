import Foundation
import Synchronization
import Testing
import Tollgate
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateLogging
import TollgateStore
import TollgateTestSupport

@Suite struct RateLimitServiceTests {
    /// Example catalog plus a `rate_limits.api` limit feature, customer `org_1`, the given backend.
    /// `hourly`: every policy's window is an hour instead of a second, for tests that count what a
    /// burst allows: nothing refills while a busy machine runs them.
    private func service(_ backend: Backend, store kind: RateLimitBackendKind, hourly: Bool = false) throws -> (Services, TestDatabase) {
        let store = try migratedStore(backend)
        let configuration = try Configuration(environment: ["TOLLGATE_RATE_LIMIT_BACKEND": kind.rawValue])
        let services = Services(configuration: configuration, database: store.database,
                                migrationsRoot: TestDatabase.repositoryRoot + "/migrations", logger: .disabled)
        var catalog = try exampleCatalog()
        catalog.features.append(Feature(key: "rate_limits.api", name: "API rate limit", kind: .limit))
        if hourly {
            for plan in catalog.plans.indices {
                for policy in catalog.plans[plan].rateLimits.indices { catalog.plans[plan].rateLimits[policy].windowSeconds = 3600 }
            }
        }
        _ = try services.catalog.apply(catalog)
        _ = try services.customers.upsert(.init(externalID: "org_1"))
        return (services, store)
    }

    static let cases: [(Backend, RateLimitBackendKind)] = [(.sqlite, .memory), (.sqlite, .store), (.postgres, .store)]

    @Test(arguments: cases)
    func policiesFollowTheTierAndAPlanChangeAppliesOnTheNextDecision(backend: Backend, kind: RateLimitBackendKind) throws {
        let (services, store) = try service(backend, store: kind, hourly: true)
        defer { withExtendedLifetime(store) {} }
        // Free: api 10/hour, burst 20.
        for _ in 0..<20 { #expect(try services.rateLimits.consume(customer: "org_1", policy: "api", cost: 1)[0].decision.allowed) }
        let denied = try services.rateLimits.consume(customer: "org_1", policy: "api", cost: 1)[0]
        #expect(!denied.decision.allowed)
        #expect(denied.policy.limit == 10)
        // Denied requests consume nothing: the same answer again, the wait unchanged or shorter.
        let again = try services.rateLimits.consume(customer: "org_1", policy: "api", cost: 1)[0].decision
        #expect(!again.allowed && (again.retryAfterNanoseconds ?? .max) <= (denied.decision.retryAfterNanoseconds ?? 0))

        _ = try services.subscriptions.set(customer: "org_1", .init(plan: "pro", status: .active), source: "test")
        let pro = try services.rateLimits.consume(customer: "org_1", policy: nil, cost: 1)
        #expect(pro.map(\.policy.limit) == [100])
        #expect(pro[0].decision.allowed)
    }

    @Test(arguments: cases)
    func aGrantOnTheLimitFeatureRaisesThePolicy(backend: Backend, kind: RateLimitBackendKind) throws {
        let (services, store) = try service(backend, store: kind)
        defer { withExtendedLifetime(store) {} }
        _ = try services.grants.create(customer: "org_1", .init(feature: "rate_limits.api", value: .limit(50), reason: "launch"), grantedBy: "ops")
        let decision = try services.rateLimits.consume(customer: "org_1", policy: "api", cost: 1)[0]
        #expect(decision.policy.limit == 50)
        #expect(decision.policy.burst == 100)
    }

    @Test(arguments: cases)
    func badInputIsRefused(backend: Backend, kind: RateLimitBackendKind) throws {
        let (services, store) = try service(backend, store: kind)
        defer { withExtendedLifetime(store) {} }
        #expect(throws: DomainError.unknownCustomer("ghost")) { try services.rateLimits.consume(customer: "ghost", policy: nil, cost: 1) }
        #expect(throws: DomainError.self) { try services.rateLimits.consume(customer: "org_1", policy: "nope", cost: 1) }
        #expect(throws: DomainError.self) { try services.rateLimits.consume(customer: "org_1", policy: nil, cost: 0) }
        #expect(throws: DomainError.self) { try services.rateLimits.consume(customer: "org_1", policy: nil, cost: 2_000_000) }
        let tooBig = try services.rateLimits.consume(customer: "org_1", policy: "api", cost: 21)[0].decision
        #expect(!tooBig.allowed && tooBig.retryAfterNanoseconds == nil)
    }

    /// Threads hammer one customer's policy for about a second: exactly what GCRA allows passes.
    @Test(arguments: cases)
    func manyThreadsOnOneKeyGetExactlyWhatGCRAAllows(backend: Backend, kind: RateLimitBackendKind) throws {
        let (services, store) = try service(backend, store: kind)
        defer { withExtendedLifetime(store) {} }
        let policy = RateLimitPolicy(name: "api", limit: 10, windowSeconds: 1, burst: 20)
        let gcra = GCRA(policy)
        let allowed = Atomic<Int>(0)
        let failures = ThreadSafeList<String>()
        let started = ContinuousClock.now
        ConcurrentThreads.run(6) { _ in
            while ContinuousClock.now - started < .seconds(1) {
                do {
                    if try services.rateLimits.consume(customer: "org_1", policy: "api", cost: 1)[0].decision.allowed {
                        allowed.add(1, ordering: .relaxed)
                    }
                } catch {
                    failures.append(String(describing: error))
                }
            }
        }
        // Then take what is left until the first denial: whatever the threads missed while the
        // machine was busy (GCRA keeps up to the burst), so the total is exactly what GCRA allows
        // from the start to that denial, however the threads were scheduled.
        var drained = 0
        var lastTry = ContinuousClock.now
        while true {
            lastTry = ContinuousClock.now
            guard try services.rateLimits.consume(customer: "org_1", policy: "api", cost: 1)[0].decision.allowed else { break }
            drained += 1
        }
        func nanoseconds(_ duration: Duration) -> Int64 { duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000 }
        let after = nanoseconds(ContinuousClock.now - started)
        #expect(failures.values.isEmpty, "\(failures.values.prefix(2))")
        let total = allowed.load(ordering: .relaxed) + drained
        // Denied at an instant between lastTry and after: burst + ⌊t/T⌋ ± 1 at that instant.
        #expect(total <= policy.burst + Int(after / gcra.emissionInterval) + 1)
        #expect(total >= policy.burst + Int(nanoseconds(lastTry - started) / gcra.emissionInterval) - 1)
    }

    @Test func apiRateLimitSettingParses() throws {
        func policy(_ text: String) throws -> RateLimitPolicy? {
            try Configuration(environment: ["TOLLGATE_API_RATE_LIMIT": text]).apiRateLimit
        }
        #expect(try policy("100/60:150") == RateLimitPolicy(name: "api", limit: 100, windowSeconds: 60, burst: 150))
        #expect(try policy("100/1")?.burst == 100)
        #expect(try policy("off") == nil)
        #expect(try policy("") == RateLimitPolicy(name: "api", limit: 10_000, windowSeconds: 1, burst: 20_000))
        for bad in ["100", "0/1", "10/0", "a/b", "10/1:0", "10/1:2:3"] {
            let error = #expect(throws: ConfigurationError.self, "\(bad)") { try policy(bad) }
            #expect(error?.variable == "TOLLGATE_API_RATE_LIMIT")
        }
    }
}
