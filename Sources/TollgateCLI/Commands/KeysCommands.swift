import TollgateCore
import TollgateEntitlements
import TollgateStore

/// `tollgate keys create|list|revoke`.
enum KeysCommands {
    static let group = Command.group("keys", summary: "Create, list and revoke API keys", [Command(Create.self), Command(List.self), Command(Revoke.self)])

    struct Create: ParsableCommand {
        static let name = "create"
        static let summary = "Create an API key and print it once"
        static let discussion = """
            The key is printed once and stored only as a SHA-256 hash: copy it now. Store only: the API
            never mints keys (a key could otherwise make keys), so this does not run in remote mode.
            """

        @Option("--name", "NAME", "What the key is for") var keyName: String
        @Option("--scope", "SCOPE", "What the key may do; admin ⊇ write ⊇ read") var scope: APIKeyScope

        struct Created: Encodable { var key: APIKey; var secret: String }

        func run(_ context: CommandContext) throws {
            let (key, token) = try context.withServices { try $0.apiKeys.create(name: keyName, scope: scope) }
            try context.emit(Created(key: key, secret: token.value)) { output in
                output.print("Created API key \(key.id) (\(key.name), scope \(key.scope.rawValue)):")
                output.print()
                output.print("    \(token.value)")
                output.print()
                output.print("It is shown only this once. Use it as: Authorization: Bearer <key>")
            }
        }
    }

    struct List: ParsableCommand {
        static let name = "list"
        static let summary = "List API keys (never their secrets)"

        func run(_ context: CommandContext) throws {
            let keys = try context.performAll(APIRequest(.GET, "/v1/keys"), cursor: \APIKey.id) { try $0.apiKeys.list() }
            try context.emit(Page(all: keys), columns: [
                Column("ID") { $0.id }, Column("NAME") { $0.name }, Column("SCOPE") { $0.scope.rawValue },
                Column("CREATED") { HumanTime.text($0.createdAt) }, Column("REVOKED") { $0.revokedAt.map(HumanTime.text) ?? "" },
            ])
        }
    }

    struct Revoke: ParsableCommand {
        static let name = "revoke"
        static let summary = "Revoke an API key"

        @Argument("ID") var id: String
        var confirmation = Confirmation()

        func run(_ context: CommandContext) throws {
            try confirmation.confirm("Revoke API key \(id) (requests with it are refused from then on)", context)
            let key = try context.perform(APIRequest(.DELETE, "/v1/keys/\(id)")) { try $0.apiKeys.revoke(id: id) }
            try context.emit(key) { $0.print("Revoked API key \(key.id) (\(key.name)).") }
        }
    }
}
