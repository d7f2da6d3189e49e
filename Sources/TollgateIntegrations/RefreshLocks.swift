import Foundation
import Synchronization

/// In-process locks by connection id: threads of one process that need the same connection's
/// refresh queue here, so only one of them goes on to the store's row lock (which orders
/// processes). Entries exist only while someone holds or waits for them.
final class RefreshLocks: Sendable {
    private final class Entry: Sendable {
        let lock = NSLock()
    }

    private let entries = Mutex<[String: (entry: Entry, users: Int)]>([:])

    func withLock<T>(_ id: String, _ body: () throws -> T) throws -> T {
        let entry = entries.withLock { entries in
            var slot = entries[id] ?? (Entry(), 0)
            slot.users += 1
            entries[id] = slot
            return slot.entry
        }
        entry.lock.lock()
        defer {
            entry.lock.unlock()
            entries.withLock { entries in
                guard var slot = entries[id] else { return }
                slot.users -= 1
                entries[id] = slot.users == 0 ? nil : slot
            }
        }
        return try body()
    }
}
