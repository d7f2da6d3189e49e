import Synchronization

/// Identifiers for correlation (request ids, trace and span ids) without a system call each:
/// 128 random bits chosen once per generator, then a SplitMix64 mix of a counter and the second
/// random word. Within one generator no word repeats (the mix is a bijection of the counter) and
/// none is zero; across processes the random prefix makes a collision negligible. They are
/// handles, not secrets.
package final class IdentifierGenerator: Sendable {
    /// A random word fixed for this generator, never zero (the first half of a trace id, the
    /// first 16 digits of a request id).
    package let prefix: UInt64
    private let key: UInt64
    private let counter = Atomic<UInt64>(0)

    package init() {
        var random = SystemRandomNumberGenerator()
        prefix = random.next() | 1
        key = random.next()
    }

    /// The process's shared generator.
    package static let shared = IdentifierGenerator()

    /// A word this generator has not returned before, never zero.
    package func nextWord() -> UInt64 {
        while true {
            let count = counter.wrappingAdd(1, ordering: .relaxed).newValue
            var z = count &+ key &* 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            if z != 0 { return z }
        }
    }
}
