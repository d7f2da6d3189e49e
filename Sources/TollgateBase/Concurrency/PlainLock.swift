#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a plain POSIX mutex (`PTHREAD_MUTEX_DEFAULT`: no spinning, no priority
/// inheritance), for state that many blocking threads touch briefly and often.
///
/// `Synchronization.Mutex` on Linux is a priority-inheritance futex that spins before it sleeps:
/// with one thread per connection (64 threads on 2 cores) every contended acquire spun and then
/// went through the kernel's rt-mutex. In ``GroupCommit``, which every usage request enters and
/// leaves, that was 5 % of the server's CPU in the spin alone under a one-customer usage storm.
///
/// `@unchecked Sendable`: `value` is only touched inside ``withLock(_:)``, and `Value` is itself
/// `Sendable`.
package final class PlainLock<Value: Sendable>: @unchecked Sendable {
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
