import TollgateCore
import TollgateStore

/// `tollgate keys create|list|revoke`.
enum KeysCommands {
    static let command = Command("keys", summary: "Create, list and revoke API keys", subcommands: [create, list, revoke])

    static let create = Command(
        "create", summary: "Create an API key and print it once",
        options: [
            .value("--name", "NAME", "What the key is for", required: true),
            .value("--scope", "SCOPE", "What the key may do; admin ⊇ write ⊇ read", required: true, choices: APIKeyScope.allCases.map(\.rawValue)),
        ],
        discussion: "The key is printed once and stored only as a SHA-256 hash: copy it now."
    ) { invocation in
        let scope = try parseScope(invocation)
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let (key, token) = try services.apiKeys.create(name: try invocation.required("--name"), scope: scope)
        if invocation.json {
            struct Created: Encodable { var key: APIKey; var secret: String }
            try invocation.output.printJSON(Created(key: key, secret: token.value))
        } else {
            invocation.output.print("Created API key \(key.id) (\(key.name), scope \(key.scope.rawValue)):")
            invocation.output.print()
            invocation.output.print("    \(token.value)")
            invocation.output.print()
            invocation.output.print("It is shown only this once. Use it as: Authorization: Bearer <key>")
        }
    }

    static let list = Command("list", summary: "List API keys (never their secrets)") { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let keys = try services.apiKeys.list()
        if invocation.json {
            try invocation.output.printJSON(keys)
        } else {
            invocation.output.printTable(["ID", "NAME", "SCOPE", "CREATED", "REVOKED"], keys.map { key in
                [key.id, key.name, key.scope.rawValue, SQLTimestamp.format(key.createdAt), key.revokedAt.map(SQLTimestamp.format) ?? ""]
            })
        }
    }

    static let revoke = Command("revoke", summary: "Revoke an API key", arguments: ["ID"]) { invocation in
        let services = try CommandEnvironment(invocation).openServices()
        defer { services.database.close() }
        let key = try services.apiKeys.revoke(id: invocation.arguments[0])
        if invocation.json {
            try invocation.output.printJSON(key)
        } else {
            invocation.output.print("Revoked API key \(key.id) (\(key.name)).")
        }
    }

    private static func parseScope(_ invocation: Invocation) throws -> APIKeyScope {
        let name = try invocation.required("--scope")
        guard let scope = APIKeyScope(rawValue: name) else { throw UsageError("unknown scope \(name)", command: invocation.path) }
        return scope
    }
}
