import TollgateCore
import TollgateEntitlements
import TollgateIntegrations
import TollgateStore
import TollgateWire

/// `tollgate connections list|show|disconnect|reencrypt`: customers' OAuth connections (never
/// their tokens).
enum ConnectionsCommands {
    static let group = Command.group("connections", summary: "List, show and disconnect OAuth connections; re-encrypt their tokens", [
        Command(List.self), Command(Show.self), Command(Disconnect.self), Command(Reencrypt.self),
    ])

    struct List: ParsableCommand {
        static let name = "list"
        static let summary = "Connections, oldest first: one customer's, or everyone's"

        @Option("--customer", "EXTERNAL_ID", "Only this customer's connections") var customer: String?
        @Option("--status", "STATUS", "Only connections with this status") var status: ConnectionStatus?
        var page = PageOptions(cursor: "CONNECTION_ID", "Continue after this connection")

        func run(_ context: CommandContext) throws {
            let request = try page.request()
            // The API lists one customer's connections, all of them (one per provider at most):
            // remote mode needs --customer, and filters and pages that short list here.
            if context.remote != nil, customer == nil {
                throw Failure(.invalid, code: "store_only", message:
                    "`tollgate connections list` without --customer needs the store; in remote mode the API lists one customer's connections: pass --customer")
            }
            let connections = try context.perform(APIRequest(.GET, "/v1/customers/\(customer ?? "")/connections")) {
                try $0.integrations.list(customer: customer, status: status, page: request)
            } remote: { response in
                var all = try response.decode(Page<OAuthConnection>.self).items.filter { status == nil || $0.status == status }
                if let after = request.startingAfter {
                    guard let index = all.firstIndex(where: { $0.id == after }) else {
                        throw DomainError.invalid("starting_after", "no connection \(after)")
                    }
                    all.removeFirst(index + 1)
                }
                return Page(items: Array(all.prefix(request.limit)), hasMore: all.count > request.limit)
            }
            try context.emit(connections, columns: [
                Column("ID") { $0.id }, Column("CUSTOMER") { $0.customer }, Column("PROVIDER") { $0.provider }, Column("STATUS") { $0.status.rawValue },
                Column("ACCOUNT") { $0.account ?? "" }, Column("EXPIRES") { $0.expiresAt.map(HumanTime.text) ?? "" },
                Column("FAILURES") { String($0.failureCount) }, Column("KEY") { $0.keyID },
            ], cursor: \.id)
        }
    }

    struct Show: ParsableCommand {
        static let name = "show"
        static let summary = "One connection (never its tokens)"

        @Argument("CONNECTION_ID") var id: String

        func run(_ context: CommandContext) throws {
            let connection = try context.perform(APIRequest(.GET, "/v1/connections/\(id)")) { try $0.integrations.show(connectionID: id) }
            try context.emit(connection) { output in
                output.printTable(["FIELD", "VALUE"], [
                    ["id", connection.id], ["customer", connection.customer], ["provider", connection.provider],
                    ["status", connection.status.rawValue], ["scopes", connection.scopes.joined(separator: " ")], ["account", connection.account ?? ""],
                    ["expires_at", connection.expiresAt.map(HumanTime.text) ?? ""], ["refreshable", String(connection.refreshable)],
                    ["failure_count", String(connection.failureCount)], ["last_error", connection.lastError ?? ""],
                    ["refreshed_at", connection.refreshedAt.map(HumanTime.text) ?? ""], ["key_id", connection.keyID],
                    ["created_at", HumanTime.text(connection.createdAt)], ["updated_at", HumanTime.text(connection.updatedAt)],
                ])
            }
        }
    }

    struct Disconnect: ParsableCommand {
        static let name = "disconnect"
        static let summary = "Revoke the grant at the provider (best effort) and delete the connection; queues the customer's mail"

        @Argument("CONNECTION_ID") var id: String
        @Option("--reason", "TEXT", "The reason given in the mail (default: disconnected by an operator)") var reason: String?
        var confirmation = Confirmation()

        func run(_ context: CommandContext) throws {
            try confirmation.confirm("Disconnect \(id) (its grant is revoked at the provider and its tokens deleted)", context)
            let result = try context.perform(APIRequest(.DELETE, "/v1/connections/\(id)")) {
                try $0.integrations.disconnect(connectionID: id, reason: reason ?? "It was disconnected by an operator")
            }
            try context.emit(result) { output in
                let note = result.revocationError.map { " (\($0))" } ?? ""
                output.print("Disconnected \(result.connection.id) (\(result.connection.provider) for \(result.connection.customer)); "
                    + "revocation: \(result.revocation.rawValue)\(note).")
            }
        }
    }

    struct Reencrypt: ParsableCommand {
        static let name = "reencrypt"
        static let summary = "Re-seal every connection's tokens under the current key (the first in TOLLGATE_ENCRYPTION_KEY)"
        static let discussion = """
            Key rotation: put the new key first in TOLLGATE_ENCRYPTION_KEY and keep the old ones after it; \
            run this; when it reports no failures and the state lifetime has passed, remove the old keys.
            Prints the report, then exits 1 if any connection could not be re-sealed (with or without --json).
            """

        func run(_ context: CommandContext) throws {
            let report = try context.withServices { services in
                try services.integrations.reencrypt { done, total in
                    if !context.json, total >= 100, done % 100 == 0 || done == total { context.output.error("re-encrypted \(done)/\(total)") }
                }
            }
            try context.emit(report) { output in
                output.print("Re-sealed \(report.resealed) of \(report.examined) connections under key \(report.currentKeyID).")
                for failure in report.failures { output.print("  failed: \(failure)") }
            }
            if !report.failures.isEmpty { throw CommandFailure("\(report.failures.count) connections could not be re-encrypted") }
        }
    }
}
