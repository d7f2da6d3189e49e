import CLibPQ
import Foundation

/// Turns a failed libpq call into a ``StoreError``.
///
/// SQLSTATE classes (<https://www.postgresql.org/docs/15/errcodes-appendix.html>): 23505 unique,
/// 23503 foreign key, other 23xxx constraint, 22xxx a value the store refuses (data exception),
/// 40001/40P01 serialization, 08xxx and 57P01–57P03
/// (or a connection whose status is no longer `CONNECTION_OK`) a lost connection.
enum PostgresErrorMapping {
    /// The error for a failed `result` on `connection` (or for no result at all).
    static func storeError(result: PostgresResult?, connection: OpaquePointer) -> StoreError {
        let sqlState = result?.errorField(Int32(UInt8(ascii: "C")))  // PG_DIAG_SQLSTATE
        let primary = result?.errorField(Int32(UInt8(ascii: "M")))  // PG_DIAG_MESSAGE_PRIMARY
        let constraint = result?.errorField(Int32(UInt8(ascii: "n")))  // PG_DIAG_CONSTRAINT_NAME
        var message = primary ?? connectionMessage(connection)
        if message.isEmpty { message = "PostgreSQL reported an error without a message" }
        let lost = PQstatus(connection) != CONNECTION_OK || isConnectionState(sqlState)
        let code: StoreError.Code
        if lost {
            code = .connectionLost
        } else {
            switch sqlState {
            case "23505": code = .uniqueViolation
            case "23503": code = .foreignKeyViolation
            case "40001", "40P01": code = .serializationFailure
            case "25006": code = .readOnly  // read_only_sql_transaction: a replica, or default_transaction_read_only
            case let state? where state.hasPrefix("23"): code = .constraintViolation
            case let state? where state.hasPrefix("22"): code = .invalidValue
            default: code = .other
            }
        }
        if let sqlState, sqlState.hasPrefix("22") {
            // Data exceptions quote the offending input ("invalid input syntax for type integer: "x"").
            message = redactQuoted(message)
        }
        return StoreError(code, message, driverCode: sqlState, constraint: constraint)
    }

    /// `PQerrorMessage`, trimmed (libpq's own text: no parameter values).
    static func connectionMessage(_ connection: OpaquePointer) -> String {
        guard let text = PQerrorMessage(connection) else { return "" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func isConnectionState(_ sqlState: String?) -> Bool {
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState)
    }

    /// Replaces each double-quoted part of `message` with `"…"`.
    static func redactQuoted(_ message: String) -> String {
        var output = ""
        var quoted = false
        for character in message {
            if character == "\"" {
                output += quoted ? "…\"" : "\""
                quoted.toggle()
            } else if !quoted {
                output.append(character)
            }
        }
        return quoted ? output + "…" : output
    }
}
