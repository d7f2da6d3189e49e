package import Foundation

/// The retry delay of the background workers (webhook applier, outbox): `base · 2^(attempts-1)`,
/// capped, with jitter (50–100 %), so retries of many items spread out instead of arriving together.
package enum Backoff {
    package static func delay(afterAttempts made: Int, base: TimeInterval, cap: TimeInterval) -> TimeInterval {
        let exponential = min(cap, base * pow(2, Double(max(0, made - 1))))
        return exponential * Double.random(in: 0.5...1.0)
    }
}
