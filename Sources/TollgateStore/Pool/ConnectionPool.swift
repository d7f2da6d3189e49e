import Foundation
import TollgateLogging
import TollgateBase

/// A blocking pool of up to `maximum` connections, opened lazily.
///
/// Callers block in ``checkout()`` until a connection is idle or may be opened, or until the
/// checkout timeout passes (``StoreError/Code/poolTimeout``). Waiting uses Foundation's
/// `NSCondition`: Synchronization offers `Mutex` but no condition variable, and a pthread
/// wrapper would be one more C handle to own for the same thing.
///
/// An idle connection is checked with ``PooledConnection/isHealthy()`` when lent out again, and a
/// returned one with ``PooledConnection/resetForReuse()``; a connection that fails either is
/// closed (dropped, its owner frees the C handle) and the slot is reopened on demand.
// @unchecked Sendable: mutable state is guarded by `condition`; a connection is lent to one thread at a time.
final class ConnectionPool<Connection: PooledConnection>: @unchecked Sendable {

    typealias Factory = @Sendable () throws(StoreError) -> Connection

    let maximum: Int
    private let checkoutTimeout: Duration
    private let factory: Factory
    private let logger: Logger
    private let condition = NSCondition()
    private var idle: [Connection] = []
    /// Idle, lent out, or being opened.
    private var open = 0
    private var waiting = 0
    private var isClosed = false

    init(maximum: Int, checkoutTimeout: Duration, logger: Logger, factory: @escaping Factory) {
        self.maximum = max(1, maximum)
        self.checkoutTimeout = checkoutTimeout
        self.logger = logger
        self.factory = factory
    }

    /// Lends a connection; give it back with ``checkin(_:)``.
    func checkout() throws(StoreError) -> Connection {
        let deadline = Date(timeIntervalSinceNow: checkoutTimeout.seconds)
        condition.lock()
        while true {
            if isClosed {
                condition.unlock()
                throw StoreError(.closed, "the database is closed")
            }
            if let connection = idle.popLast() {
                condition.unlock()
                if connection.isHealthy() { return connection }
                logger.info("store: closing a broken idle connection")
                condition.lock()
                open -= 1
                continue
            }
            if open < maximum {
                open += 1
                condition.unlock()
                do {
                    let connection = try factory()
                    logger.debug("store: opened a connection", ["open": "\(statistics().size)"])
                    return connection
                } catch {
                    condition.lock()
                    open -= 1
                    condition.signal()
                    condition.unlock()
                    throw error
                }
            }
            waiting += 1
            let signalled = condition.wait(until: deadline)
            waiting -= 1
            if !signalled, idle.isEmpty, open >= maximum, !isClosed {
                condition.unlock()
                throw StoreError(.poolTimeout, "no connection became free within \(checkoutTimeout)")
            }
        }
    }

    /// Takes a connection back: idle again if it is reusable, else closed.
    func checkin(_ connection: Connection) {
        let reusable = connection.resetForReuse()
        if !reusable { logger.info("store: closing a connection that cannot be reused") }
        condition.lock()
        if reusable, !isClosed {
            idle.append(connection)
        } else {
            open -= 1
        }
        condition.signal()
        condition.unlock()
    }

    /// Lends a connection for the length of `body`.
    @discardableResult
    func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        let connection = try checkout()
        defer { checkin(connection) }
        return try body(connection)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws
    /// (whatever it throws), and the original error rethrown.
    @discardableResult
    func transaction<T>(isolation: IsolationLevel, _ body: (Connection) throws -> T) throws -> T {
        try withConnection { connection in
            try connection.begin(isolation)
            let value: T
            do {
                value = try body(connection)
            } catch {
                rollback(connection)
                throw error
            }
            do {
                try connection.commit()
            } catch {
                rollback(connection)
                throw error
            }
            return value
        }
    }

    /// Rolls back after a failure; a failed rollback is logged and leaves the decision to
    /// ``checkin(_:)`` (which drops a connection still inside a transaction).
    private func rollback(_ connection: Connection) {
        do {
            try connection.rollback()
        } catch {
            logger.info("store: rollback failed", ["error": error.description])
        }
    }

    func statistics() -> PoolStatistics {
        condition.lock()
        defer { condition.unlock() }
        return PoolStatistics(size: open, idle: idle.count, inUse: open - idle.count, waiting: waiting, maximum: maximum)
    }

    /// Closes the idle connections now and each lent one when it comes back; wakes every waiter.
    func close() {
        condition.lock()
        isClosed = true
        let closing = idle
        idle.removeAll()
        open -= closing.count
        condition.broadcast()
        condition.unlock()
        if !closing.isEmpty { logger.debug("store: closed idle connections", ["count": "\(closing.count)"]) }
    }
}
