import Synchronization

/// Collects values appended from many threads.
public final class ThreadSafeList<Element: Sendable>: Sendable {
    private let storage = Mutex<[Element]>([])

    public init() {}

    public func append(_ element: Element) {
        storage.withLock { $0.append(element) }
    }

    public var values: [Element] {
        storage.withLock { $0 }
    }
}
