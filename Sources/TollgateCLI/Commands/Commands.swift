import TollgateCore
import TollgateLogging

/// The command tree of `tollgate`.
enum Commands {
    static let root = Command("tollgate", summary: "Billing, entitlements and integrations service", subcommands: [
        ServeCommand.command,
        MigrateCommand.command,
        KeysCommands.command,
        CustomersCommands.command,
        PlansCommands.command,
        SubscriptionsCommands.command,
        GrantsCommands.command,
        EntitlementsCommands.command,
        EntitlementsCommands.usage,
        WebhooksCommands.command,
        ConnectionsCommands.command,
        OutboxCommands.command,
        SuppressionsCommands.command,
        StripeCommands.command,
        ConfigCommands.command,
        TemplatesCommands.command,
        Command("version", summary: "Print the version") { invocation in
            if invocation.json {
                try invocation.output.printJSON(["version": TollgateVersion.current])
            } else {
                invocation.output.print("tollgate \(TollgateVersion.current)")
            }
        },
    ])
}

/// What most commands need: the validated configuration, a logger, and the opened services.
struct CommandEnvironment {
    let configuration: Configuration
    let logger: Logger

    init(_ invocation: Invocation) throws {
        configuration = try Configuration(environment: invocation.environment)
        logger = Logger(label: "tollgate", level: configuration.logLevel)
    }

    func openServices() throws -> Services {
        try Services.open(configuration: configuration, logger: logger)
    }
}
