import Foundation

/// A short sleep for the few polling loops (shutdown drain). Not for request paths.
enum Pause {
    static func briefly() {
        var interval = timespec(tv_sec: 0, tv_nsec: 2_000_000)
        _ = nanosleep(&interval, nil)
    }
}
