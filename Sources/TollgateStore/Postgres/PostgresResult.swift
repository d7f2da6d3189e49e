import CLibPQ

/// One libpq result (`PGresult *`), cleared in `deinit`.
final class PostgresResult {
    let handle: OpaquePointer

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQclear(handle)
    }

    var status: ExecStatusType { PQresultStatus(handle) }

    /// Whether the command succeeded (with or without rows).
    var succeeded: Bool {
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY: true
        default: false
        }
    }

    /// `PQcmdTuples`: the rows an INSERT, UPDATE, DELETE, MERGE, SELECT or COPY touched; 0 otherwise.
    var affectedRows: Int {
        guard let text = PQcmdTuples(handle) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    /// `PQcmdStatus`: the command tag, e.g. `COMMIT`, or `ROLLBACK` for a COMMIT of a failed transaction.
    var commandTag: String {
        PQcmdStatus(handle).map { String(cString: $0) } ?? ""
    }

    /// A diagnostic field (`PG_DIAG_SQLSTATE`, `PG_DIAG_MESSAGE_PRIMARY`, …).
    func errorField(_ field: Int32) -> String? {
        PQresultErrorField(handle, field).map { String(cString: $0) }
    }

    /// Every row, each value as text in PostgreSQL's text output format (or `.null`).
    func rows() -> [Row] {
        let rowCount = PQntuples(handle)
        let columnCount = PQnfields(handle)
        guard rowCount > 0 else { return [] }
        let columns = (0..<columnCount).map { column in
            PQfname(handle, column).map { String(cString: $0) } ?? "column\(column)"
        }
        var rows: [Row] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            let values = (0..<columnCount).map { column -> SQLValue in
                guard PQgetisnull(handle, row, column) == 0, let text = PQgetvalue(handle, row, column) else {
                    return .null
                }
                let length = Int(PQgetlength(handle, row, column))
                return text.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
                    .text(String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self))
                }
            }
            rows.append(Row(columns: columns, values: values))
        }
        return rows
    }
}

@available(*, unavailable)
extension PostgresResult: Sendable {}
