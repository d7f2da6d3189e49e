import Synchronization

/// Collects values appended from many threads.
package final class ThreadSafeList<Element: Sendable>: Sendable {
    private let storage = Mutex<[Element]>([])

    package init() {}

    package func append(_ element: Element) {
        storage.withLock { $0.append(element) }
    }

    package var values: [Element] {
        storage.withLock { $0 }
    }
}
