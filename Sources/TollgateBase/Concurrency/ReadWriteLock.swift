#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a POSIX reader-writer lock: readers share it, writers take it alone.
///
/// For read-mostly state read by every request (the API-key and snapshot caches, the in-memory
/// rate limiter's table of keys). With one
/// connection thread per client, a `Mutex` there made 64 threads queue on each read (measured:
/// 22 % of CPU in its slow path under wrk); readers of an rwlock do not wait for each other.
///
/// `@unchecked Sendable`: `value` is only touched inside `read` (shared lock) or `write`
/// (exclusive lock), and `Value` is itself `Sendable`.
package final class ReadWriteLock<Value: Sendable>: @unchecked Sendable {
    private var value: Value
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    package init(_ value: Value) {
        self.value = value
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_rwlock_t())
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deinitialize(count: 1)
        lock.deallocate()
    }

    package func read<Result>(_ body: (Value) throws -> Result) rethrows -> Result {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(value)
    }

    package func write<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(&value)
    }
}
