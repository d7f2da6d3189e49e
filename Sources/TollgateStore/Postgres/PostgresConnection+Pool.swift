import CLibPQ

extension PostgresConnection: PooledConnection {
    /// Reads what the server sent while the connection was idle (`PQconsumeInput`): a terminated
    /// backend or a restarted server shows up as a status other than `CONNECTION_OK`.
    func isHealthy() -> Bool {
        guard !isBroken, PQconsumeInput(handle) == 1 else { return false }
        return PQstatus(handle) == CONNECTION_OK && transactionStatus == PQTRANS_IDLE
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
