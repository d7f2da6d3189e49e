import Foundation
import Synchronization
import Testing
import TollgateBase

/// The broadcast of a rising position that the live stream waits on.
@Suite struct WatermarkTests {
    @Test func valueOnlyRises() {
        let mark = Watermark(5)
        #expect(mark.value == 5)
        mark.advance(to: 9)
        mark.advance(to: 7)
        #expect(mark.value == 9)
    }

    @Test func waitReturnsAtOnceWhenAlreadyBeyond() {
        let mark = Watermark(3)
        #expect(mark.wait(beyond: 2, timeout: .seconds(60)) == 3)
        #expect(mark.wait(beyond: 3, timeout: .zero) == 3)
    }

    @Test func waitEndsAtTheTimeoutWithTheCurrentValue() {
        let mark = Watermark(4)
        #expect(mark.wait(beyond: 4, timeout: .milliseconds(20)) == 4)
    }

    @Test func advanceWakesEveryWaiter() {
        let mark = Watermark()
        let woken = Atomic<Int>(0)
        let group = DispatchGroup()
        let waiting = DispatchSemaphore(value: 0)
        for _ in 0..<8 {
            group.enter()
            Thread {
                waiting.signal()
                if mark.wait(beyond: 0, timeout: .seconds(30)) >= 1 { woken.add(1, ordering: .relaxed) }
                group.leave()
            }.start()
        }
        for _ in 0..<8 { waiting.wait() }
        mark.advance(to: 1)
        #expect(group.wait(timeout: .now() + 30) == .success)
        #expect(woken.load(ordering: .relaxed) == 8)
    }

    @Test func waiterBelowTheNewValueKeepsWaitingForItsOwnPosition() {
        let mark = Watermark()
        let result = Mutex<Int64?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            let value = mark.wait(beyond: 5, timeout: .seconds(30))
            result.withLock { $0 = value }
            done.signal()
        }.start()
        mark.advance(to: 3)
        #expect(done.wait(timeout: .now() + 0.1) == .timedOut)
        mark.advance(to: 6)
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(result.withLock { $0 } == 6)
    }
}
