import CLibPQ
import Foundation

extension PostgresConnection: PooledConnection {
    /// Reads what the server sent while the connection was idle (`PQconsumeInput`) for as long as
    /// the socket is readable: a terminated backend first sends a FATAL message, and only the next
    /// read sees the end of the stream, which turns the status into `CONNECTION_BAD`.
    func isHealthy() -> Bool {
        guard !isBroken, PQstatus(handle) == CONNECTION_OK, transactionStatus == PQTRANS_IDLE else { return false }
        for _ in 0..<4 {
            guard socketIsReadable() else { return true }
            guard PQconsumeInput(handle) == 1, PQstatus(handle) == CONNECTION_OK else { return false }
        }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Whether the socket has data or an end of stream waiting (`poll` with no timeout).
    private func socketIsReadable() -> Bool {
        let socket = PQsocket(handle)
        guard socket >= 0 else { return true }  // PQconsumeInput reports the bad state
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) != 0
    }

    func resetForReuse() -> Bool {
        guard !isBroken, PQstatus(handle) == CONNECTION_OK else { return false }
        if transactionStatus != PQTRANS_IDLE { try? rollback() }
        return !isBroken && transactionStatus == PQTRANS_IDLE
    }

    func begin(_ isolation: IsolationLevel) throws(StoreError) {
        switch isolation {
        case .readCommitted: try executeScript("BEGIN ISOLATION LEVEL READ COMMITTED")
        case .repeatableRead: try executeScript("BEGIN ISOLATION LEVEL REPEATABLE READ")
        case .serializable: try executeScript("BEGIN ISOLATION LEVEL SERIALIZABLE")
        }
    }

    /// Commits. A COMMIT of a transaction that an earlier statement aborted succeeds with the tag
    /// `ROLLBACK`; that is reported as an error, since nothing was committed.
    func commit() throws(StoreError) {
        let tag = try commandTag(of: "COMMIT")
        guard tag != "ROLLBACK" else {
            throw StoreError(.other, "the transaction was aborted by an earlier error and rolled back")
        }
    }

    func rollback() throws(StoreError) {
        try executeScript("ROLLBACK")
    }
}
