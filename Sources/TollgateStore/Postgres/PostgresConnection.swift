import CLibPQ
import Foundation

/// One libpq connection (`PGconn *`), finished in `deinit`.
///
/// Used by one thread at a time (lent by the pool), so it is not `Sendable`. Statements are
/// prepared once per connection and then run by name (`PQprepare`, `PQexecPrepared`), with
/// text-format parameters and results: the server parses and plans a statement text once per
/// session instead of on every call (unprepared, parsing and planning were 45 % of the server's
/// CPU under the webhook applier). Parameter types are inferred as `PQexecParams` infers them. The
/// session time zone is UTC. Once an error shows that the connection broke, ``isBroken`` is true
/// and the pool drops it.
package final class PostgresConnection: SQLConnection {
    let handle: OpaquePointer
    /// True once a call failed because the connection to the server broke.
    package private(set) var isBroken = false
    /// Statement texts prepared on this session, and the names they run by.
    private var prepared: [String: String] = [:]
    private var preparedCount = 0
    /// Prepared statements kept per session; past it they are all deallocated and prepared anew as
    /// they recur (statement texts are few — the code's — but a multi-row statement has one text
    /// per row count).
    static let preparedLimit = 512

    package var dialect: SQLDialect { .postgres }

    private init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQfinish(handle)
    }

    /// Connects with a libpq URI, passed unchanged (`sslmode`, `host=/socket/dir`, `options`, …
    /// all apply); `applicationName` is only a fallback for a URI without `application_name`.
    package static func connect(uri: String, applicationName: String = "tollgate") throws(StoreError) -> PostgresConnection {
        let raw = withCStringArray(["dbname", "fallback_application_name"]) { keywords in
            withCStringArray([uri, applicationName]) { values in
                PQconnectdbParams(keywords, values, 1)
            }
        }
        guard let raw else { throw StoreError(.connectionFailed, "libpq could not allocate a connection") }
        let connection = PostgresConnection(handle: raw)  // owns `raw` from here on
        guard PQstatus(raw) == CONNECTION_OK else {
            throw StoreError(.connectionFailed, PostgresErrorMapping.connectionMessage(raw))
        }
        // Notices (e.g. "relation already exists, skipping") would go to stderr; drop them.
        PQsetNoticeProcessor(raw, { _, _ in }, nil)
        guard PQsetClientEncoding(raw, "UTF8") == 0 else {
            throw StoreError(.connectionFailed, "cannot set client encoding UTF8: \(PostgresErrorMapping.connectionMessage(raw))")
        }
        try connection.executeScript("SET TIME ZONE 'UTC'")
        return connection
    }

    /// The server process id (`PQbackendPID`), as `pg_backend_pid()` reports it.
    package var backendPID: Int32 { PQbackendPID(handle) }

    // MARK: Running SQL

    @discardableResult
    package func execute(_ sql: SQL) throws(StoreError) -> Int {
        try run(sql).affectedRows
    }

    package func query(_ sql: SQL) throws(StoreError) -> [Row] {
        try run(sql).rows()
    }

    /// Runs several statements with `PQexec` (simple query protocol, no parameters).
    package func executeScript(_ script: String) throws(StoreError) {
        _ = try commandTag(of: script)
    }

    /// Runs `command` with `PQexec` and returns its command tag (`COMMIT`, `ROLLBACK`, …).
    func commandTag(of command: String) throws(StoreError) -> String {
        try check(PQexec(handle, command)).commandTag
    }

    private func run(_ sql: SQL) throws(StoreError) -> PostgresResult {
        let parameters = try PostgresParameters(sql.bindings)
        let name = try statementName(sql.text)
        let result = parameters.withValues { values in
            PQexecPrepared(handle, name, parameters.count, values, nil, nil, 0)
        }
        return try check(result)
    }

    /// The name `text` runs by on this session, preparing it the first time. A statement that
    /// fails to prepare (a syntax error, an aborted transaction) is not remembered.
    private func statementName(_ text: String) throws(StoreError) -> String {
        if let name = prepared[text] { return name }
        if prepared.count >= Self.preparedLimit {
            _ = try commandTag(of: "DEALLOCATE ALL")
            prepared.removeAll(keepingCapacity: true)
        }
        preparedCount += 1
        let name = "tollgate_\(preparedCount)"
        _ = try check(PQprepare(handle, name, text, 0, nil))
        prepared[text] = name
        return name
    }

    /// Owns `raw` and returns it when it succeeded; otherwise throws its mapped error.
    private func check(_ raw: OpaquePointer?) throws(StoreError) -> PostgresResult {
        let result = raw.map(PostgresResult.init(handle:))
        if let result, result.succeeded { return result }
        let error = PostgresErrorMapping.storeError(result: result, connection: handle)
        if error.code == .connectionLost { isBroken = true }
        throw error
    }

    /// `PQtransactionStatus`: idle, in a transaction, in a failed transaction, or unknown.
    var transactionStatus: PGTransactionStatusType { PQtransactionStatus(handle) }
}

@available(*, unavailable)
extension PostgresConnection: Sendable {}

/// Calls `body` with a NULL-terminated array of C strings copied from `strings`.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return body([nil]) }
        return body(base)
    }
}
