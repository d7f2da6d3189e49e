import Foundation
import Synchronization
import Testing
import TollgateIntegrations
import TollgateStore
import TollgateTestSupport
@testable import TollgateCore

/// Single-flight refresh: many callers at once on an expiring connection make the provider see
/// exactly one refresh — threads of one instance, and two instances on one store.
@Suite(.enabled(if: OAuthPeer.shouldRun)) struct IntegrationConcurrencyTests {
    @Test(arguments: Backend.allCases)
    func twentyConcurrentCallersCauseOneRefresh(backend: Backend) throws {
        try OAuthPeer.exclusively {
            let harness = try IntegrationHarness(backend)
            let id = try harness.connect()
            try harness.peer.resetCounts(user: harness.user)
            let later = Date().addingTimeInterval(10)
            let tokens = ThreadSafeList<String>()
            let failures = ThreadSafeList<String>()
            let services = harness.services
            ConcurrentThreads.run(20) { _ in
                do {
                    tokens.append(try services.integrations.freshToken(connectionID: id, now: { later }).accessToken)
                } catch {
                    failures.append(String(describing: error))
                }
            }
            #expect(failures.values.isEmpty, "\(failures.values)")
            #expect(Set(tokens.values).count == 1 && tokens.values.count == 20)
            #expect(try harness.peer.counts(user: harness.user).refresh == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func twoInstancesOnOneStoreShareTheRefreshLock(backend: Backend) throws {
        try OAuthPeer.exclusively {
            let harness = try IntegrationHarness(backend)
            let id = try harness.connect()
            let other = try harness.anotherInstance()
            defer { other.database.close() }
            try harness.peer.resetCounts(user: harness.user)
            let later = Date().addingTimeInterval(10)
            let tokens = ThreadSafeList<String>()
            let failures = ThreadSafeList<String>()
            let instances = [harness.services, other]
            ConcurrentThreads.run(20) { index in
                do {
                    tokens.append(try instances[index % 2].integrations.freshToken(connectionID: id, now: { later }).accessToken)
                } catch {
                    failures.append(String(describing: error))
                }
            }
            #expect(failures.values.isEmpty, "\(failures.values)")
            #expect(Set(tokens.values).count == 1)
            #expect(try harness.peer.counts(user: harness.user).refresh == 1)
        }
    }
}
