import Foundation
import Synchronization
import Testing
import TollgateBase
import TollgateTestSupport

/// W3C Trace Context: which `traceparent` values join a trace, what a joined or started trace
/// looks like, and how the current trace is bound.
@Suite struct TraceContextTests {
    static let example = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test func theSpecificationsExampleJoinsItsTrace() throws {
        let parent = try #require(TraceContext.Parent(Self.example))
        #expect(parent.traceHigh == 0x4bf9_2f35_77b3_4da6 && parent.traceLow == 0xa3ce_929d_0e0e_4736)
        #expect(parent.parentID == 0x00f0_67aa_0ba9_02b7 && parent.flags == 1)
        let joined = TraceContext.resolve(traceparent: Self.example, tracestate: "congo=t61rcWkgMzE")
        #expect(joined.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(joined.spanID != parent.parentID && joined.spanIDText.utf8.count == 16)
        #expect(joined.flags == 1 && joined.state == "congo=t61rcWkgMzE")
        #expect(joined.traceparent == "00-4bf92f3577b34da6a3ce929d0e0e4736-\(joined.spanIDText)-01")
    }

    @Test(arguments: [
        "", "00", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",  // too short
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // uppercase
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // zero parent id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version ff
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  // version 00 carries nothing more
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",  // a later version: more only after '-'
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ])
    func malformedParentsStartATraceOfTheirOwn(_ value: String) {
        #expect(TraceContext.Parent(value) == nil)
        let started = TraceContext.resolve(traceparent: value, tracestate: "congo=t61rcWkgMzE")
        #expect(started.traceID != "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(started.state == nil, "a tracestate without its traceparent is not passed on")
    }

    @Test func aLaterVersionIsReadForTheFieldsItShares() throws {
        let parent = try #require(TraceContext.Parent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-what-the-future-holds"))
        #expect(parent.flags == 9 && parent.parentID == 0x00f0_67aa_0ba9_02b7)
        #expect(TraceContext.Parent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09") != nil)
    }

    /// 50,000 mutations of a valid header (a byte changed, inserted or removed, case flipped, cut):
    /// the parser agrees with the specification's grammar written as a regular expression.
    @Test func mutatedHeadersAgreeWithTheGrammar() throws {
        let grammar = try Regex(#"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$"#)
        var random = SeededGenerator(seed: 0x7ace)
        let alphabet = Array("0123456789abcdefABCDEF-xz _".utf8)
        for _ in 0..<50_000 {
            var bytes = Array(Self.example.utf8)
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let at = Int.random(in: 0..<max(bytes.count, 1), using: &random)
                switch Int.random(in: 0..<6, using: &random) {
                case 0 where !bytes.isEmpty: bytes[at] = alphabet.randomElement(using: &random)!
                case 1: bytes.insert(alphabet.randomElement(using: &random)!, at: min(at, bytes.count))
                case 2 where !bytes.isEmpty: bytes.remove(at: at)
                case 3: bytes.replaceSubrange(0..<min(2, bytes.count), with: Array(String(format: "%02x", Int.random(in: 0...255, using: &random)).utf8))
                case 4: bytes += Array("-\(Int.random(in: 0...99, using: &random))".utf8)
                default: bytes = Array(bytes.prefix(at))
                }
            }
            let value = String(decoding: bytes, as: UTF8.self)
            var expected = false
            if let match = value.wholeMatch(of: grammar) {
                let version = String(match.output[1].substring!)
                let rest = match.output[5].substring
                expected = version != "ff" && !(version == "00" && rest != nil)
                    && match.output[2].substring! != Substring(String(repeating: "0", count: 32))
                    && match.output[3].substring! != Substring(String(repeating: "0", count: 16))
            }
            #expect((TraceContext.Parent(value) != nil) == expected, "\(value)")
        }
    }

    @Test func aTraceRoundTripsThroughItsHeader() throws {
        for _ in 0..<1_000 {
            let trace = TraceContext.start()
            let parent = try #require(TraceContext.Parent(trace.traceparent))
            #expect(parent.traceHigh == trace.traceHigh && parent.traceLow == trace.traceLow)
            #expect(parent.parentID == trace.spanID && parent.flags == 1)
        }
    }

    @Test(arguments: [String(repeating: "a", count: 513), "a=1\nb=2", "caf\u{e9}=1", ""])
    func tracestateThatCannotBeValidIsDropped(_ state: String) {
        #expect(TraceContext.resolve(traceparent: Self.example, tracestate: state).state == nil)
    }

    @Test func identifiersNeverRepeatAndAreNeverZero() {
        let generator = IdentifierGenerator()
        var seen = Set<UInt64>()
        for _ in 0..<200_000 {
            let word = generator.nextWord()
            #expect(word != 0)
            #expect(seen.insert(word).inserted)
        }
        let traces = Set((0..<10_000).map { _ in TraceContext.start(generator).traceID })
        #expect(traces.count == 10_000)
        #expect(IdentifierGenerator().prefix != generator.prefix)
    }

    @Test func theCurrentTraceIsBoundForAnOperationAndNotInherited() throws {
        #expect(TraceContext.current == nil)
        let outer = TraceContext.startingTrace { TraceContext.current }
        let (first, second) = TraceContext.startingTrace { () -> (TraceContext?, TraceContext?) in
            let first = TraceContext.current
            let nested = TraceContext.startingTrace { TraceContext.current }
            #expect(nested != first)
            return (first, TraceContext.current)
        }
        #expect(outer != nil && first != nil && first == second && first != outer)
        #expect(TraceContext.current == nil)
        // A thread started within an operation has no trace until it is given one.
        let seenOnThread = TraceContext.startingTrace { () -> TraceContext?? in
            let done = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var seen: TraceContext?? = .some(nil)
            Thread {
                seen = TraceContext.current
                done.signal()
            }.start()
            done.wait()
            return seen
        }
        #expect(seenOnThread == .some(nil))
    }
}

/// Every turn of a background job is an operation with a trace of its own.
@Suite struct BackgroundTraceTests {
    @Test func eachTurnOfABackgroundThreadHasItsOwnTrace() throws {
        final class Seen: Sendable {
            let traces = Mutex<[TraceContext?]>([])
        }
        let seen = Seen()
        let done = DispatchSemaphore(value: 0)
        let threads = BackgroundThreads(name: "trace-test", count: 2, pollInterval: .milliseconds(1))
        threads.start { _ in
            let count = seen.traces.withLock { traces in
                traces.append(TraceContext.current)
                return traces.count
            }
            if count == 20 { done.signal() }
            return count < 20
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        threads.stop(timeout: .seconds(5))
        let traces = seen.traces.withLock { $0 }
        #expect(traces.allSatisfy { $0 != nil })
        #expect(Set(traces.compactMap { $0?.traceID }).count == traces.count)
    }
}
