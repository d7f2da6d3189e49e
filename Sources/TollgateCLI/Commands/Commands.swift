import TollgateCore

/// The command tree of `tollgate`.
enum Commands {
    static let root = Command.group("tollgate", summary: "Billing, entitlements and integrations service", discussion: rules, [
        Command(ServeCommand.self),
        Command(MigrateCommand.self),
        KeysCommands.group,
        CustomersCommands.group,
        PlansCommands.group,
        SubscriptionsCommands.group,
        GrantsCommands.group,
        EntitlementsCommands.group,
        UsageCommands.group,
        CreditsCommands.group,
        SeatsCommands.group,
        WebhooksCommands.group,
        WebhookEndpointsCommands.group,
        ConnectionsCommands.group,
        OutboxCommands.group,
        EventsCommands.group,
        SuppressionsCommands.group,
        StripeCommands.group,
        ConfigCommands.group,
        Command(DoctorCommand.self),
        Command(InitCommand.self),
        TemplatesCommands.group,
        Command(CompletionCommand.self),
        Command(VersionCommand.self),
    ])

    /// The rules every command follows, as `tollgate --help` states them (and `docs/cli.md`).
    static let rules = """
        Output (every command):
          text     for people on stdout; progress and errors on stderr.
          --json   stdout gets exactly one JSON document in the API's conventions: snake_case keys,
                   RFC 3339 times, and every list as {"data": [...], "has_more": bool}. A failure
                   prints the API's error body on stderr instead: {"error": {"code", "message",
                   "details"}}, with the code the API answers for the same failure (unknown_customer,
                   not_found, no_subscription, stripe_error, ...); the CLI's own codes are
                   configuration, invalid_catalog, invalid_template, failed, usage, and in remote
                   mode store_only and api_unreachable.

        Remote mode (docs/cli.md):
          With TOLLGATE_API_URL and TOLLGATE_API_KEY (or --api-url URL --api-key KEY, which win),
          every command that has an HTTP API counterpart goes through the API of a running
          `tollgate serve` (Authorization: Bearer KEY) instead of opening the database: the same
          output, JSON and exit codes. The others (migrate, serve, keys create, plans apply, ...)
          refuse with code store_only: run them with TOLLGATE_DATABASE_URL where the store is
          reachable. doctor checks the API and the key instead.

        Exit codes (the same with and without --json):
          0  done. A denial is an answer, not a failure: `entitlements check` and `usage consume`
             print why (with --json, "allowed": false) and exit 0.
          1  the command failed; stderr says why. Commands that report item by item (`stripe sync`,
             `connections reencrypt`) print the report, then exit 1 if any item failed.
          2  the command line is wrong: an unknown command or option, a missing or malformed value,
             or a destructive command (revoke, disconnect, purge, delete, archiving a plan that
             customers are on) without --yes where standard input is not a terminal to ask on.
        """
}

/// `tollgate version`.
struct VersionCommand: ParsableCommand {
    static let name = "version"
    static let summary = "Print the version"

    func run(_ context: CommandContext) throws {
        try context.emit(["version": TollgateVersion.current]) { $0.print("tollgate \(TollgateVersion.current)") }
    }
}
