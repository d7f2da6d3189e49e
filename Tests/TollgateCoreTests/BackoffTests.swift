import Foundation
import Testing
@testable import TollgateCore
@testable import TollgateEntitlements
import TollgateBase

@Suite struct BackoffTests {
    @Test func delaysDoubleWithJitterUpToTheCap() {
        for (attempts, full) in [(1, 10.0), (2, 20.0), (3, 40.0), (4, 60.0), (9, 60.0)] {
            let delays = (0..<200).map { _ in Backoff.delay(afterAttempts: attempts, base: 10, cap: 60) }
            #expect(delays.allSatisfy { $0 >= full * 0.5 && $0 <= full }, "attempt \(attempts)")
            #expect(Set(delays).count > 1, "jittered")
        }
        #expect(Backoff.delay(afterAttempts: 3, base: 0, cap: 60) == 0)
    }
}
