import TollgateCore
import TollgateStore

/// `tollgate connections list|show|disconnect|reencrypt`: customers' OAuth connections (never
/// their tokens).
enum ConnectionsCommands {
    static let command = Command(
        "connections", summary: "List, show and disconnect OAuth connections; re-encrypt their tokens",
        subcommands: [list, show, disconnect, reencrypt])

    static let list = Command(
        "list", summary: "Connections, oldest first: one customer's, or everyone's",
        options: [
            .value("--customer", "EXTERNAL_ID", "Only this customer's connections"),
            .value("--status", "STATUS", "Only connections with this status", choices: ConnectionStatus.allCases.map(\.rawValue)),
            .value("--limit", "N", "How many (1–100, default 20)"),
            .value("--starting-after", "CONNECTION_ID", "Continue after this connection"),
        ]
    ) { invocation in
        let page = try invocation.pageRequest()
        let status = invocation.value("--status").flatMap(ConnectionStatus.init(rawValue:))
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let connections = try services.integrations.list(customer: invocation.value("--customer"), status: status, page: page)
        if invocation.json {
            struct Listing: Encodable { var data: [OAuthConnection]; var hasMore: Bool }
            try invocation.output.printJSON(Listing(data: connections.items, hasMore: connections.hasMore))
        } else {
            invocation.output.printTable(["ID", "CUSTOMER", "PROVIDER", "STATUS", "ACCOUNT", "EXPIRES", "FAILURES", "KEY"], connections.items.map { connection in
                [connection.id, connection.customer, connection.provider, connection.status.rawValue, connection.account ?? "",
                 connection.expiresAt.map(SQLTimestamp.format) ?? "", String(connection.failureCount), connection.keyID]
            })
            if connections.hasMore, let last = connections.items.last { invocation.output.print("More: --starting-after \(last.id)") }
        }
    }

    static let show = Command("show", summary: "One connection (never its tokens)", arguments: ["CONNECTION_ID"]) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let connection = try services.integrations.show(connectionID: invocation.arguments[0])
        if invocation.json {
            try invocation.output.printJSON(connection)
        } else {
            invocation.output.printTable(["FIELD", "VALUE"], [
                ["id", connection.id], ["customer", connection.customer], ["provider", connection.provider],
                ["status", connection.status.rawValue], ["scopes", connection.scopes.joined(separator: " ")], ["account", connection.account ?? ""],
                ["expires_at", connection.expiresAt.map(SQLTimestamp.format) ?? ""], ["refreshable", String(connection.refreshable)],
                ["failure_count", String(connection.failureCount)], ["last_error", connection.lastError ?? ""],
                ["refreshed_at", connection.refreshedAt.map(SQLTimestamp.format) ?? ""], ["key_id", connection.keyID],
                ["created_at", SQLTimestamp.format(connection.createdAt)], ["updated_at", SQLTimestamp.format(connection.updatedAt)],
            ])
        }
    }

    static let disconnect = Command(
        "disconnect", summary: "Revoke the grant at the provider (best effort) and delete the connection; queues the customer's mail",
        options: [.value("--reason", "TEXT", "The reason given in the mail (default: disconnected by an operator)")],
        arguments: ["CONNECTION_ID"]
    ) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let result = try services.integrations.disconnect(
            connectionID: invocation.arguments[0], reason: invocation.value("--reason") ?? "It was disconnected by an operator")
        if invocation.json {
            try invocation.output.printJSON(result)
        } else {
            let note = result.revocationError.map { " (\($0))" } ?? ""
            invocation.output.print("Disconnected \(result.connection.id) (\(result.connection.provider) for \(result.connection.customer)); revocation: \(result.revocation.rawValue)\(note).")
        }
    }

    static let reencrypt = Command(
        "reencrypt", summary: "Re-seal every connection's tokens under the current key (the first in TOLLGATE_ENCRYPTION_KEY)",
        discussion: """
            Key rotation: put the new key first in TOLLGATE_ENCRYPTION_KEY and keep the old ones after it; \
            run this; when it reports no failures and the state lifetime has passed, remove the old keys.
            """
    ) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let report = try services.integrations.reencrypt { done, total in
            if !invocation.json, total >= 100, done % 100 == 0 || done == total { invocation.output.error("re-encrypted \(done)/\(total)") }
        }
        if invocation.json {
            try invocation.output.printJSON(report)
        } else {
            invocation.output.print("Re-sealed \(report.resealed) of \(report.examined) connections under key \(report.currentKeyID).")
            for failure in report.failures { invocation.output.print("  failed: \(failure)") }
        }
        if !report.failures.isEmpty { throw CommandFailure("\(report.failures.count) connections could not be re-encrypted") }
    }
}
